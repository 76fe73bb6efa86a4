"""Changes in every service of a running system, made over real HTTP as their users make them, so that
each service publishes its events; returns the subjects (with this run's own ids) that must appear."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from tests.support.system import OPERATOR, System


def _ok(answer, *codes: int) -> dict:
    assert answer.status_code in (codes or (200, 201)), f"{answer.request.url}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else {}


def new_hotspot(wifi, tag: str) -> dict:
    """A hotspot registered by the office (its answer carries the host token)."""
    return _ok(
        wifi.post(
            "/hotspots",
            headers=OPERATOR,
            json={
                "site_name": f"Contract {tag}",
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
    )


def cause_events_of_every_service(system: System) -> dict[str, str]:
    """What to wait for, by stream: a subject this run caused (the notifications one is found later:
    a delivery's id is the service's own, so it is matched by the registration's notice instead)."""
    tag = uuid.uuid4().hex[:8]
    with system.client("directory") as directory:
        business = _ok(
            directory.post(
                "/businesses",
                headers=OPERATOR,
                json={"name": f"Contract {tag}", "category": "handwerk", "owner_email": f"owner-{tag}@example.org"},
            )
        )
        edit = {"Authorization": f"Bearer {business['edit_token']}"}
        _ok(directory.patch(f"/businesses/{business['id']}", headers=edit, json={"description": f"edit {tag}"}))
        _ok(directory.post(f"/businesses/{business['id']}/publish", headers=OPERATOR))
        # a network membership (directory.network.member_joined), after the publication on the same stream
        _ok(directory.put(f"/networks/wirtschaftsallianz/members/{business['id']}", headers=OPERATOR))
        # Fairtrade: the council resolution (a criterion flips the first time) and the title (a milestone
        # each new date); in a shared system an earlier test may have flipped it already: either way
        # FAIRTRADE holds events of the directory service.
        _ok(directory.patch("/fairtrade", headers=OPERATOR, json={"council_resolution_on": "2024-05-02"}))
        _ok(directory.post("/fairtrade/title", headers=OPERATOR, json={"kind": "awarded", "on": str(date.today())}))
    with system.client("events") as events:
        event = _ok(
            events.post(
                "/events",
                headers=OPERATOR,
                json={
                    "title": f"Contract {tag}",
                    "description": "contract test",
                    "starts_at": "2031-05-10T18:00:00",
                    "ends_at": "2031-05-10T20:00:00",
                    "venue": "Rathaus",
                    "capacity": 10,
                    "waitlist": True,
                },
            )
        )
        _ok(events.post(f"/events/{event['id']}/publish", headers=OPERATOR))
        registration = _ok(
            events.post(
                f"/events/{event['id']}/registrations",
                json={"name": f"Person {tag}", "email": f"reg-{tag}@example.org", "consent": True},
            )
        )
    with system.client("wifi") as wifi:
        hotspot = new_hotspot(wifi, tag)
        report = {"timestamp": datetime.now(UTC).isoformat(), "uplink_ok": True, "clients": 3, "backhaul_mbps": 100.0}
        host = {"Authorization": f"Bearer {hotspot['host_token']}"}
        _ok(wifi.post(f"/hotspots/{hotspot['id']}/reports", headers=host, json=report), 200, 201, 202)
    return {
        "DIRECTORY": f"hallobot.directory.business.published.{business['id']}",
        "FAIRTRADE": "hallobot.fairtrade.",
        "EVENTS": f"hallobot.events.registration.confirmed.{registration['id']}",
        "PRIVATE": f"hallobot.private.events.registration.notice.{registration['id']}",
        "WIFI": f"hallobot.wifi.hotspot.status_changed.{hotspot['id']}",
    }
