"""A burst of mixed changes against the running system, and the exactly-once accounting afterwards.

Changes: registrations for one event (HTTP → events), profile edits (HTTP → directory), hotspot
reports over HTTP and over NATS (→ wifi). Every change carries its own identity (the registrant's
address, the report's timestamp), so what was acknowledged can be found again: in the streams, in the
services' databases and at the SMTP server. A change whose answer was lost (the service was killed
mid-request) is "unknown": it may or may not have happened, but never twice.

A hotspot report publishes no event of its own (only status changes do): its effect is its row in
wifi's database; a report sent over NATS is itself once in WIFI_REPORTS. Profile edits are mailed to
nobody here (no subscriber), registrations are: one registrant mail each.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from tests.support.stream import stream_messages
from tests.support.system import OPERATOR, System, wait_until

KINDS = ("registration", "profile_edit", "report_http", "report_nats")


@dataclass
class Burst:
    tag: str
    event_id: str
    businesses: list[dict]
    hotspot: dict
    acked: dict[str, list] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    unknown: dict[str, list] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    refused: Counter = field(default_factory=Counter)  # 4xx/5xx answers: refused, so not acknowledged
    attempts: int = 0

    def summary(self) -> dict:
        return {
            "attempts": self.attempts,
            **{f"acked_{k}": len(v) for k, v in self.acked.items()},
            **{f"unknown_{k}": len(v) for k, v in self.unknown.items() if v},
            "refused": dict(self.refused),
        }


def prepare(system: System, businesses: int = 10) -> Burst:
    """One published event with room for everyone, a few profiles, one hotspot: all this test's own."""
    tag = uuid.uuid4().hex[:8]
    with system.client("events") as events:
        created = events.post(
            "/events",
            headers=OPERATOR,
            json={
                "title": f"Burst {tag}",
                "description": "fault test",
                "starts_at": "2031-03-10T18:00:00",
                "ends_at": "2031-03-10T20:00:00",
                "venue": "Rathaus",
                "capacity": 100_000,
                "waitlist": True,
            },
        )
        assert created.status_code == 201, created.text
        published = events.post(f"/events/{created.json()['id']}/publish", headers=OPERATOR)
        assert published.status_code == 200, published.text
    profiles = []
    with system.client("directory") as directory:
        for i in range(businesses):
            answer = directory.post(
                "/businesses", headers=OPERATOR, json={"name": f"Burst {tag} {i}", "category": "handwerk"}
            )
            assert answer.status_code == 201, answer.text
            profiles.append(answer.json())
    with system.client("wifi") as wifi:
        answer = wifi.post(
            "/hotspots",
            headers=OPERATOR,
            json={
                "site_name": f"Burst {tag}",
                "host_business": "Test",
                "address": "Testweg 1",
                "latitude": 51.52,
                "longitude": 6.93,
                "ap_model": "AP",
                "ap_serial": tag,
                "ap_mac": "00:11:22:33:44:55",
                "placement": "outdoor",
            },
        )
        assert answer.status_code == 201, answer.text
    return Burst(tag, created.json()["id"], profiles, answer.json())


async def run(
    system: System, burst: Burst, until: asyncio.Event, limit: int, rate: float = 30.0, workers: int = 6
) -> None:
    """Issue mixed changes from `workers` concurrent clients, `rate` per second at most, until `until`
    is set or `limit` were tried; the pace spreads the budget over the faults."""
    base = datetime.now(UTC) - timedelta(minutes=30)  # reports in the past: history, never "future"
    nc = await system.connect()
    js = nc.jetstream()
    clients = {name: httpx.AsyncClient(base_url=system.url(name), timeout=10) for name in system.services}

    async def one(n: int) -> None:
        kind = KINDS[n % len(KINDS)]
        key = f"{burst.tag}-{n}"
        identity: object = (f"reg-{key}@example.org", None)
        try:
            if kind == "registration":
                email = f"reg-{key}@example.org"
                answer = await clients["events"].post(
                    f"/events/{burst.event_id}/registrations",
                    json={"name": f"Person {key}", "email": email, "consent": True},
                )
                if answer.status_code == 201:
                    identity = (email, answer.json()["id"])
            elif kind == "profile_edit":
                profile = burst.businesses[n % len(burst.businesses)]
                identity = profile["id"]
                answer = await clients["directory"].patch(
                    f"/businesses/{profile['id']}",
                    json={"description": f"Edit {key}"},
                    headers={"Authorization": f"Bearer {profile['edit_token']}"},
                )
            else:
                timestamp = (base + timedelta(milliseconds=n)).isoformat()
                report = {"timestamp": timestamp, "uplink_ok": True, "clients": n % 50, "backhaul_mbps": 100.0}
                identity = timestamp
                if kind == "report_http":
                    answer = await clients["wifi"].post(
                        f"/hotspots/{burst.hotspot['id']}/reports",
                        json=report,
                        headers={"Authorization": f"Bearer {burst.hotspot['host_token']}"},
                    )
                else:
                    await js.publish(
                        f"hallobot.wifi.reports.{burst.hotspot['id']}",
                        json.dumps(report).encode(),
                        headers={
                            "Authorization": f"Bearer {burst.hotspot['host_token']}",
                            "Nats-Msg-Id": f"report-{key}",
                        },
                        timeout=5,
                    )
                    burst.acked[kind].append(identity)
                    return
        except Exception as exc:  # the answer was lost: the service or the broker was away
            burst.unknown[kind].append(identity)
            if not isinstance(exc, (httpx.TransportError, TimeoutError)) and "nats" not in type(exc).__module__:
                burst.refused[f"{kind}: {exc!r}"[:120]] += 1  # anything else is worth seeing in the summary
            await asyncio.sleep(0.05)  # a dead service: do not spin
            return
        if 200 <= answer.status_code < 300:
            burst.acked[kind].append(identity)
        else:
            burst.refused[f"{kind} {answer.status_code}"] += 1
            if answer.status_code >= 500:
                burst.unknown[kind].append(identity)

    counter = iter(range(limit))
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def worker() -> None:
        for n in counter:
            if until.is_set():
                return
            if (wait := started + n / rate - loop.time()) > 0:
                await asyncio.sleep(wait)
            burst.attempts += 1
            await one(n)

    try:
        await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        for client in clients.values():
            await client.aclose()
        await nc.close()


async def verify(system: System, burst: Burst, settle_s: float = 60.0, mails_in_flight_killed: int = 0) -> dict:
    """Every acknowledged change: one event in its stream, one effect downstream, one mail if due.
    `mails_in_flight_killed`: how many mails a SIGKILLed notifications may have had in flight (one per
    SMTP connection): SMTP has no transaction with the database, so a mail the server took before its
    "sent" mark is sent again after the lease, as the same message (same Message-ID). No other repeat."""
    acked_regs = [(email, rid) for email, rid in burst.acked["registration"]]
    unknown_emails = {email for email, _ in burst.unknown["registration"]}

    # -- registrations: one row each in the events database, one event each in EVENTS ------------------
    rows = system.query("events", "SELECT id, email FROM registrations WHERE event_id = ?", burst.event_id)
    by_email = Counter(email for _, email in rows)
    assert not [e for e, c in by_email.items() if c > 1], "a registration was stored twice"
    stored_ids = {rid for rid, _ in rows}
    assert {rid for _, rid in acked_regs} <= stored_ids, "an acknowledged registration is not stored"
    assert len(rows) <= len(acked_regs) + len(unknown_emails)

    nc = await system.connect()
    try:
        js = nc.jetstream()

        async def registration_events():
            msgs = await stream_messages(js, "EVENTS", "hallobot.events.registration.>")
            return [json.loads(m.data) for m in msgs]

        deadline = asyncio.get_event_loop().time() + settle_s
        while True:
            bodies = [b for b in await registration_events() if b["data"].get("event_id") == burst.event_id]
            if len(bodies) >= len(rows) or asyncio.get_event_loop().time() > deadline:
                break
            await asyncio.sleep(0.5)
        per_registration = Counter(b["data"]["registration_id"] for b in bodies)
        assert set(per_registration) == stored_ids, "a stored registration has no event (or an event no row)"
        assert set(per_registration.values()) == {1}, "a registration has more than one event"
        assert len({b["id"] for b in bodies}) == len(bodies)

        # -- profile edits: one business.updated per acknowledged edit (unknown ones: at most one) ---
        updates = [
            json.loads(m.data) for m in await stream_messages(js, "DIRECTORY", "hallobot.directory.business.updated.>")
        ]
        per_business = Counter(b["data"]["business_id"] for b in updates)
        acked_edits, unknown_edits = Counter(burst.acked["profile_edit"]), Counter(burst.unknown["profile_edit"])
        for profile in burst.businesses:
            pid = profile["id"]
            assert acked_edits[pid] <= per_business[pid] <= acked_edits[pid] + unknown_edits[pid], (
                pid,
                acked_edits[pid],
                per_business[pid],
                unknown_edits[pid],
            )
        assert len({b["id"] for b in updates}) == len(updates), "an event id is twice in DIRECTORY"

        # -- reports over NATS: each once in WIFI_REPORTS --------------------------------------------
        reports_in_stream = await stream_messages(js, "WIFI_REPORTS", f"hallobot.wifi.reports.{burst.hotspot['id']}")
        stamps = Counter(json.loads(m.data)["timestamp"] for m in reports_in_stream)
        assert all(stamps[t] == 1 for t in burst.acked["report_nats"]), (
            "a NATS report is not exactly once in its stream"
        )
    finally:
        await nc.close()

    # -- reports (HTTP and NATS): each acknowledged one stored exactly once by wifi -------------------
    expected = set(burst.acked["report_http"]) | set(burst.acked["report_nats"])

    def stored_reports():
        found = system.query("wifi", "SELECT reported_at FROM reports WHERE hotspot_id = ?", burst.hotspot["id"])
        return Counter(_instant(r[0]) for r in found)

    stored = (
        wait_until(
            lambda: (s := stored_reports()) and {_instant(t) for t in expected} <= set(s) and s,
            timeout=settle_s,
            interval=0.5,
        )
        or stored_reports()
    )
    missing = {_instant(t) for t in expected} - set(stored)
    assert not missing, f"{len(missing)} acknowledged reports not stored, e.g. {sorted(missing)[:3]}"
    assert set(stored.values()) == {1}
    # an unknown report (HTTP answer or PubAck lost) may have been stored, once
    assert len(stored) <= len(expected) + len(burst.unknown["report_http"]) + len(burst.unknown["report_nats"])

    # -- mails: exactly one per registration (acknowledged: one; unknown: at most one) ---------------
    def mails_by_recipient():
        return Counter(
            m["X-Envelope-To"] for m in list(system.smtp.messages) if m["X-Envelope-To"].startswith(f"reg-{burst.tag}-")
        )

    want = {email for email, _ in acked_regs}
    wait_until(lambda: want <= set(mails_by_recipient()), timeout=settle_s, interval=0.5)
    # past a crashed sender's lease: a mail sent twice would have been sent again by now
    time.sleep(float(system.env.get("NOTIFICATIONS_SENDING_LEASE_S", "8")) + 2)
    mails = mails_by_recipient()
    missing_mails = want - set(mails)
    assert not missing_mails, f"{len(missing_mails)} registrants got no mail, e.g. {sorted(missing_mails)[:3]}"
    stored_emails = {email for _, email in rows}
    assert set(mails) <= stored_emails, "a mail went to someone who is not registered"
    twice = {e: c for e, c in mails.items() if c > 1}
    message_ids = Counter(
        m["Message-ID"] for m in list(system.smtp.messages) if m["X-Envelope-To"].startswith(f"reg-{burst.tag}-")
    )
    why = (
        "each copy with the same Message-ID: the sender crashed between SMTP accept and marking"
        if all(message_ids[m["Message-ID"]] > 1 for m in list(system.smtp.messages) if m["X-Envelope-To"] in twice)
        else "different Message-IDs: two deliveries"
    )
    same_message = all(len({m["Message-ID"] for m in system.smtp.to(address)}) == 1 for address in twice)
    in_flight = same_message and set(twice.values()) <= {2} and len(twice) <= mails_in_flight_killed
    assert not twice or in_flight, (
        f"{len(twice)} registrants got their mail more than once ({why}); e.g. {list(twice.items())[:3]}"
    )
    return {
        **burst.summary(),
        "registrations_stored": len(rows),
        "mails": sum(mails.values()),
        "reports_stored": len(stored),
        "profile_updates": sum(per_business[p["id"]] for p in burst.businesses),
    }


def _instant(value) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
