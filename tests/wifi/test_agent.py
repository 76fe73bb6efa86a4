"""The host agent buffers reports while the service is away and resends them when it answers."""

from __future__ import annotations

import asyncio

from hallobot.ports import free_port
from services.wifi.agent import HostAgent
from tests.wifi.conftest import create_hotspot


async def test_the_host_agent_buffers_while_the_service_is_unreachable_and_resends_in_order(http, wifi, tmp_path):
    hotspot_id, token = await create_hotspot(http, "Hansastraße (Mensingbrunnen)")
    listening = f"127.0.0.1:{free_port()}"  # nothing listens: the "uplink" check fails too
    agent = HostAgent(
        f"http://127.0.0.1:{free_port()}", hotspot_id, token, tmp_path / "buffer.jsonl", targets=(listening,)
    )
    assert await asyncio.to_thread(agent.run_once) == 1
    assert await asyncio.to_thread(agent.run_once) == 2
    assert [r["uplink_ok"] for r in agent.buffered()] == [False, False]
    agent.url = wifi.url
    assert await asyncio.to_thread(agent.run_once) == 0
    shown = (await http.get(f"/hotspots/{hotspot_id}")).json()
    assert shown["status"] in ("up", "degraded") and shown["last_report_at"] is not None


async def test_the_host_agent_drops_a_report_the_service_refuses_for_good(http, wifi, tmp_path):
    hotspot_id, token = await create_hotspot(http)
    agent = HostAgent(wifi.url, hotspot_id, token, tmp_path / "buffer.jsonl", targets=())
    agent._keep([{"timestamp": "not a time", "uplink_ok": True, "clients": 0}])
    assert await asyncio.to_thread(agent.run_once) == 0
