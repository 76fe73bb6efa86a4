"""A webhook delivery from the running system, as a Node city system receives it: the official
CloudEvents JavaScript SDK must recognise it as a CloudEvent (it rejected every delivery while they
were sent as `application/json`), and the Standard Webhooks signature must verify."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.contract.traffic import new_hotspot
from tests.notifications.test_webhooks import Receiver, verify
from tests.support.cloudevents_js import parse_with_javascript_sdk
from tests.support.system import OPERATOR, wait_until


def test_a_webhook_delivery_is_a_cloudevent_for_the_javascript_sdk(contract_system):
    receiver = Receiver()
    tag = uuid.uuid4().hex[:8]
    with contract_system.client("wifi") as wifi, contract_system.client("notifications") as notifications:
        hotspot = new_hotspot(wifi, tag)
        allowed = notifications.post("/webhook-allowlist", headers=OPERATOR, json={"entry": "127.0.0.1/32"})
        assert allowed.status_code in (201, 409), allowed.text
        created = notifications.post(
            "/subscriptions",
            headers=OPERATOR,
            json={
                "channel": "webhook",
                "url": receiver.url,
                "topics": ["wifi.hotspot.*"],
                "filters": {"hotspot_id": hotspot["id"]},
            },
        )
        assert created.status_code == 201, created.text
        try:
            report = {
                "timestamp": datetime.now(UTC).isoformat(),
                "uplink_ok": True,
                "clients": 3,
                "backhaul_mbps": 100.0,
            }
            host = {"Authorization": f"Bearer {hotspot['host_token']}"}
            assert wifi.post(f"/hotspots/{hotspot['id']}/reports", headers=host, json=report).status_code == 202
            assert wait_until(lambda: receiver.requests, timeout=30), "no webhook delivery arrived"
        finally:
            notifications.delete(f"/subscriptions/{created.json()['id']}", headers=OPERATOR)
            receiver.close()

    headers, body = receiver.requests[0]
    assert verify(created.json()["secret"], headers, body)
    parsed = parse_with_javascript_sdk(headers, body)
    assert parsed["ok"], parsed
    assert parsed["type"] == "de.bottrop.hallobot.wifi.hotspot.status_changed"
    assert parsed["data"]["hotspot_id"] == hotspot["id"]

    # The same body under the old content type is what the SDK refused: the check can fail.
    refused = parse_with_javascript_sdk({**headers, "content-type": "application/json"}, body)
    assert not refused["ok"] and "no cloud event detected" in refused["error"]
