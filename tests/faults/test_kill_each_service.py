"""The whole system as processes under a burst of mixed changes; parts of it fail during the burst.
Afterwards every acknowledged change has exactly one event in its stream and exactly one effect
downstream (one stored registration, one stored report, one mail per registration).

Sizes: a burst of 2,000 mixed changes while each service is killed in turn (all of them are sent,
the faults fall into its first half), 400 during the nats-server restart and 400 during the SMTP
outage, from six concurrent clients. Those two bursts run until their fault is over or their budget
is spent; the counts are printed with -s.
"""

from __future__ import annotations

import asyncio

import pytest

from shared.config import SERVICES
from tests.faults import burst as changes

pytestmark = pytest.mark.faults
GAP_S = 3.0  # burst traffic before each fault and after the last recovery


async def _with_burst(
    system, limit: int, faults, rate: float = 30.0, whole_budget: bool = False, mails_in_flight_killed: int = 0
) -> dict:
    burst = await asyncio.to_thread(changes.prepare, system)
    until = asyncio.Event()
    runner = asyncio.create_task(changes.run(system, burst, until, limit, rate))
    try:
        await faults()
        await asyncio.sleep(GAP_S)
        if whole_budget:
            await runner  # every one of the `limit` changes is sent
    finally:
        until.set()
        await runner
    result = await changes.verify(system, burst, mails_in_flight_killed=mails_in_flight_killed)
    print(result)
    assert sum(len(v) for v in burst.acked.values()) > limit / 4, f"too little was acknowledged: {result}"
    return result


async def test_each_service_sigkilled_in_turn_during_a_burst_loses_nothing_and_does_nothing_twice(system):
    async def kill_each():
        for name in SERVICES:
            await asyncio.sleep(GAP_S)
            system.kill(name)
            await asyncio.sleep(0.5)  # requests keep coming while it is down
            await asyncio.to_thread(system.restart, name)

    # notifications is SIGKILLed once: at most one mail in flight per SMTP connection is repeated,
    # as the same message (docs/operations.md, the mail sender's crash window); nothing else twice
    connections = int(system.env.get("NOTIFICATIONS_SENDER_CONNECTIONS", "8"))
    result = await _with_burst(
        system, 2000, kill_each, rate=40.0, whole_budget=True, mails_in_flight_killed=connections
    )
    assert result["attempts"] == 2000, result


async def test_a_nats_server_killed_and_restarted_during_a_burst_loses_nothing_and_does_nothing_twice(system):
    async def restart_nats():
        await asyncio.sleep(GAP_S)
        system.nats.kill()
        await asyncio.sleep(2)
        system.nats.start()

    await _with_burst(system, 400, restart_nats)


async def test_mails_staged_while_smtp_is_down_are_each_delivered_exactly_once_when_it_returns(system):
    async def smtp_outage():
        await asyncio.sleep(GAP_S)
        await asyncio.to_thread(system.smtp.stop)
        await asyncio.sleep(8)
        await asyncio.to_thread(system.smtp.start)

    await _with_burst(system, 400, smtp_outage)
