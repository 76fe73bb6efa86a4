"""Malformed and oversized messages on every subject a service consumes: each one lands in the DLQ
(`hallobot.dlq.<consumer>`) with its reason, and the consumer goes on to take the next valid message.

The subjects come from each service's `definition.subscriptions`, so a new subscription is covered
(or this test names what it lacks: a valid sample for it).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, date, datetime, timedelta

import nats
import pytest

from hallobot.services import create_app, settings_for
from shared import catalog
from shared.catalog import (
    BusinessUpdated,
    EventPublished,
    EventUpdated,
    HotspotRegistered,
    PrivacyAccessRequested,
    PrivacyRequestAnswered,
    RecertificationDue,
    RegistrantNotice,
)
from shared.config import SERVICES
from shared.envelope import CloudEvent, utcnow
from shared.streams import stream_for_subject
from tests.support.stream import eventually, stream_messages
from tests.support.system import OPERATOR

pytestmark = pytest.mark.faults

SUBSCRIPTIONS = [
    (service, sub)
    for service in SERVICES
    for sub in create_app(service, settings_for(service)).state.definition.subscriptions
]
OwnerNotice = getattr(catalog, "BusinessOwnerNotice", None)  # being added with the owner mails
MAX_PAYLOAD = 1024 * 1024  # nats-server's default max_payload


def envelope(**fields) -> bytes:
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/fuzz",
        "type": "de.bottrop.hallobot.x",
        "time": utcnow().isoformat(),
        "datacontenttype": "application/json",
        "data": {},
    }
    return json.dumps(event | fields).encode()


def malformed() -> dict[str, bytes]:
    """Whatever a broken or hostile publisher might send, each one different in what is wrong."""
    return {
        "empty": b"",
        "not json": b"\x00\xff this is not json",
        "not utf-8": bytes(range(128, 256)) * 4,
        "json array": b"[1, 2, 3]",
        "json, wrong shape": b'{"hello": "world"}',
        "truncated json": envelope()[:-7],
        "deeply nested": b"[" * 50_000 + b"]" * 50_000,
        "unknown event type": envelope(type="de.bottrop.hallobot.nothing.we.know"),
        "known type, empty payload": envelope(type=BusinessUpdated.full_type()),
        "wrong specversion": envelope(specversion="0.3"),
        "oversized json (900 kB)": envelope(data={"padding": "A" * 900_000}),
    }


def valid_sample(subscription, token: str, host: dict) -> tuple[str, bytes, dict[str, str], str]:
    """(subject, body, headers, inbox key) of one message the subscription takes."""
    if subscription.stream == "WIFI_REPORTS":
        report = {"timestamp": utcnow().isoformat(), "uplink_ok": True, "clients": 3, "backhaul_mbps": 80.0}
        message_id = f"report-{token}"
        return (
            f"hallobot.wifi.reports.{host['id']}",
            json.dumps(report).encode(),
            {"Authorization": f"Bearer {host['host_token']}", "Nats-Msg-Id": message_id},
            f"{host['id']}:{message_id}",  # a report's inbox key carries its hotspot (services/wifi/consumers.py)
        )
    now = datetime.now(UTC) + timedelta(days=30)
    samples = [
        BusinessUpdated(business_id=token, name="Fuzz GmbH", category="handwerk", changed=["description"]),
        EventUpdated(event_id=token, title="Fuzz", starts_at=now, ends_at=now + timedelta(hours=1), changed=["title"]),
        # what the directory's meeting invitations consume (an event of no network's series: no mail)
        EventPublished(event_id=token, title="Fuzz", starts_at=now, ends_at=now + timedelta(hours=1)),
        HotspotRegistered(hotspot_id=token, site_name="Fuzz-Platz"),
        RecertificationDue(expires_on=date.today() + timedelta(days=60), days_left=60),
        RegistrantNotice(
            registration_id=token,
            event_id=token,
            kind="confirmed",
            email=f"fuzz-{token}@example.org",
            name="Fuzz",
            event_title="Fuzz",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
        ),
        # a data protection request (access: harmless) and a service's answer to one
        PrivacyAccessRequested(request_id=token, email=f"fuzz-{token}@example.org"),
        PrivacyRequestAnswered(request_id=token, service="events", kind="access"),
    ]
    if OwnerNotice is not None:
        samples.append(
            OwnerNotice(
                business_id=token, business_name="Fuzz GmbH", kind="published", email=f"owner-{token}@example.org"
            )
        )
    fitting = [sample for sample in samples if subject_matches(subscription.subject, sample.nats_subject())]
    assert fitting, f"no valid sample for {subscription.name} ({subscription.subject}): add one here"
    event: CloudEvent = fitting[0].to_event()
    return fitting[0].nats_subject(), event.to_json(), event.headers(), event.id


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, `>` the rest."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


@pytest.fixture
def hotspot(system) -> dict:
    with system.client("wifi") as client:
        created = client.post(
            "/hotspots",
            headers=OPERATOR,
            json={
                "site_name": "Malformed-Platz",
                "host_business": "Test",
                "address": "Testweg 1",
                "latitude": 51.52,
                "longitude": 6.93,
                "ap_model": "AP",
                "ap_serial": uuid.uuid4().hex,
                "ap_mac": "00:11:22:33:44:55",
                "placement": "outdoor",
            },
        )
    assert created.status_code == 201, created.text
    return created.json()


@pytest.mark.parametrize(("service", "subscription"), SUBSCRIPTIONS, ids=[s.name for _, s in SUBSCRIPTIONS])
async def test_every_malformed_message_is_dead_lettered_with_a_reason_and_the_consumer_carries_on(
    system, hotspot, service, subscription
):
    await dead_lettered_and_carrying_on(system, hotspot, service, subscription, malformed())


# One consumer per service: the DLQ wrapping is shared code (shared/consumer.py), and a failing case
# costs the full wait, so it is not repeated for every subscription.
FIRST_PER_SERVICE = list({service: (service, sub) for service, sub in reversed(SUBSCRIPTIONS)}.values())


@pytest.mark.parametrize(("service", "subscription"), FIRST_PER_SERVICE, ids=[s.name for _, s in FIRST_PER_SERVICE])
async def test_a_binary_message_just_under_max_payload_is_dead_lettered_and_blocks_nothing(
    system, hotspot, service, subscription
):
    # Binary is kept base64 in the dead letter (4/3 of its size) next to its reason and headers, so
    # the letter is larger than the original; it must still be published (e.g. truncated), and must
    # not make the whole batch fail again and again.
    body = os.urandom(MAX_PAYLOAD - 4096)
    await dead_lettered_and_carrying_on(system, hotspot, service, subscription, {"binary, 1 MB - 4 kB": body})


async def test_a_message_over_max_payload_is_refused_by_the_broker_before_any_consumer_sees_it(system):
    nc = await system.connect()
    try:
        with pytest.raises(nats.errors.MaxPayloadError):
            await nc.jetstream().publish("hallobot.wifi.reports.anything", b"x" * (MAX_PAYLOAD + 1))
    finally:
        await nc.close()


async def dead_lettered_and_carrying_on(system, hotspot, service, subscription, bad: dict[str, bytes]) -> None:
    token = uuid.uuid4().hex[:12]
    subject = subscription.subject.replace(">", f"fuzz.{token}").replace("*", token)
    assert stream_for_subject(subject) == subscription.stream
    if subscription.stream == "WIFI_REPORTS" and len(bad) > 1:
        subject = f"hallobot.wifi.reports.{hotspot['id']}"
        good_report = json.dumps({"timestamp": utcnow().isoformat(), "uplink_ok": True, "clients": 1}).encode()
        bad |= {
            "no host credential": good_report,
            "another hotspot's subject": good_report,
        }  # published below with the credential, elsewhere
    nc = await system.connect()
    try:
        js = nc.jetstream()
        sequences = {}
        for what, body in bad.items():
            target, headers = subject, {"Nats-Msg-Id": f"bad-{token}-{what}"}
            if what == "another hotspot's subject":
                target = f"hallobot.wifi.reports.not-{hotspot['id']}"
                headers["Authorization"] = f"Bearer {hotspot['host_token']}"
            ack = await js.publish(target, body, headers=headers, timeout=10)
            sequences[ack.seq] = what
        good_subject, good_body, good_headers, good_id = valid_sample(subscription, token, hotspot)
        await js.publish(good_subject, good_body, headers=good_headers, timeout=10)

        # The valid message after all the bad ones is taken (its id is in the consumer's inbox).
        taken = await eventually(lambda: _in_inbox(system, service, subscription.name, good_id), timeout=20)
        assert taken, (
            f"{subscription.name} did not take the valid message after the malformed ones:\n{system.logs(service)}"
        )

        async def dead_letters():
            found = await stream_messages(js, "DLQ", f"hallobot.dlq.{subscription.name}")
            bodies = [json.loads(m.data) for m in found]
            return [b for b in bodies if b["stream"] == subscription.stream and b["stream_seq"] in sequences]

        letters = await eventually(lambda: _at_least(dead_letters(), len(bad)), timeout=20)
        letters = await dead_letters()
        missing = sorted(set(sequences.values()) - {sequences[b["stream_seq"]] for b in letters})
        assert not missing, f"not in the DLQ: {missing}\n{system.logs(service)}"
        assert len(letters) == len(bad), "a malformed message was dead-lettered twice"
        for letter in letters:
            what = sequences[letter["stream_seq"]]
            assert letter["consumer"] == subscription.name
            assert letter["reason"].split(":", 1)[0] in {"malformed", "rejected"} and len(letter["reason"]) > 12, (
                what,
                letter["reason"],
            )
        assert await eventually(lambda: _settled(js, subscription), timeout=20), "messages left unacked"
    finally:
        await nc.close()
    with system.client(service) as client:
        assert client.get("/readyz").status_code == 200


async def _in_inbox(system, service: str, consumer: str, message_id: str) -> bool:
    rows = system.query(
        service, "SELECT count(*) FROM inbox WHERE consumer = ? AND message_id = ?", consumer, message_id
    )
    return rows[0][0] == 1


async def _at_least(coro, n: int) -> bool:
    return len(await coro) >= n


async def _settled(js, subscription) -> bool:
    info = await js.consumer_info(subscription.stream, subscription.name)
    return info.num_ack_pending == 0 and info.num_pending == 0
