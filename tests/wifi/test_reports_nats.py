"""Host reports on NATS (`hallobot.wifi.reports.<id>`) and the shared incident, on a real nats-server."""

from __future__ import annotations

import asyncio
import json

import httpx
import nats

from tests.wifi.conftest import (
    HEARTBEAT_S,
    create_hotspot,
    eventually_equal,
    post_report,
    report,
    start_wifi,
    status_changes,
    stream_bodies,
    wifi_events,
)


async def publish_report(url: str, hotspot_id: str, token: str | None, body: bytes) -> None:
    client = await nats.connect(url)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        await client.jetstream().publish(f"hallobot.wifi.reports.{hotspot_id}", body, headers=headers)
    finally:
        await client.close()


async def dead_letters_for(url: str, hotspot_id: str) -> list[dict]:
    letters = await stream_bodies(url, "DLQ", "hallobot.dlq.wifi-reports")
    return [letter for letter in letters if letter["subject"].endswith(hotspot_id)]


async def test_a_malformed_nats_report_lands_in_the_dlq_with_its_reason_and_the_next_valid_one_is_taken(
    http, wifi_nats
):
    hotspot_id, token = await create_hotspot(http)
    await publish_report(wifi_nats.url, hotspot_id, token, json.dumps(report(clients="many")).encode())
    await publish_report(wifi_nats.url, hotspot_id, token, b"not json at all")
    await publish_report(wifi_nats.url, hotspot_id, token, json.dumps(report()).encode())

    async def status():
        return (await http.get(f"/hotspots/{hotspot_id}")).json()["status"]

    assert await eventually_equal(status, "up") == "up"

    async def reasons():
        return sorted(letter["reason"].split(":")[0] for letter in await dead_letters_for(wifi_nats.url, hotspot_id))

    assert await eventually_equal(reasons, ["malformed", "malformed"]) == ["malformed", "malformed"]
    letters = await dead_letters_for(wifi_nats.url, hotspot_id)
    assert any("clients" in letter["reason"] for letter in letters)


async def test_a_nats_report_with_a_foreign_or_missing_credential_is_refused_into_the_dlq(http, wifi_nats):
    hotspot_id, _ = await create_hotspot(http, "Berliner Platz/ZOB")
    _, other_token = await create_hotspot(http, "Hansastraße")
    await publish_report(wifi_nats.url, hotspot_id, other_token, json.dumps(report()).encode())
    await publish_report(wifi_nats.url, hotspot_id, None, json.dumps(report()).encode())

    async def count():
        return len(await dead_letters_for(wifi_nats.url, hotspot_id))

    assert await eventually_equal(count, 2) == 2
    assert all(letter["reason"].startswith("rejected") for letter in await dead_letters_for(wifi_nats.url, hotspot_id))
    assert (await http.get(f"/hotspots/{hotspot_id}")).json()["status"] is None


async def test_when_all_sites_go_silent_together_one_incident_is_published_and_resolved_when_all_report_again(
    nats_server, tmp_path
):
    # The six first reports go out one after another: on a busy machine they spread over more than
    # the tests' usual 0.5 s window, and the last site would then fall silent outside it.
    service = start_wifi(nats_server.url, tmp_path, WIFI_INCIDENT_WINDOW_S="3")
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
            sites = [await create_hotspot(http, f"Standort {n}") for n in range(6)]
            for hotspot_id, token in sites:
                assert (await post_report(http, hotspot_id, token)).status_code == 202
            await asyncio.sleep(HEARTBEAT_S + 0.5)

            async def opened():
                return await wifi_events(nats_server.url, "hallobot.wifi.hotspot.incident_opened.*")

            incidents = await eventually_equal(lambda: _count(opened), 1)
            assert incidents == 1
            incident = (await opened())[0]["data"]
            assert sorted(incident["hotspot_ids"]) == sorted(h for h, _ in sites)
            assert (await http.get("/incidents")).json()[0]["resolved_at"] is None

            await post_report(http, *sites[0])
            await asyncio.sleep(0.5)
            assert (await http.get("/incidents")).json()[0]["resolved_at"] is None  # five still silent
            for hotspot_id, token in sites[1:]:
                await post_report(http, hotspot_id, token)

            async def resolved():
                return await wifi_events(nats_server.url, "hallobot.wifi.hotspot.incident_resolved.*")

            assert await eventually_equal(lambda: _count(resolved), 1) == 1
            assert (await resolved())[0]["data"]["incident_id"] == incident["incident_id"]
            assert await _count(opened) == 1  # one incident, not six
            assert await status_changes(nats_server.url, sites[1][0]) == [(None, "up"), ("up", "down"), ("down", "up")]
            announced = await wifi_events(nats_server.url, "hallobot.wifi.hotspot.outage_announced.*")
            assert announced == []  # sites in an incident are not told one by one
    finally:
        service.kill()


async def _count(produce) -> int:
    return len(await produce())
