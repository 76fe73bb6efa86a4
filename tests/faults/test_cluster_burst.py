"""The whole system as processes against HalloBot's three-node NATS cluster (deploy/nats/cluster.conf:
accounts and permissions, streams R3), under the burst of mixed changes of tests/faults/burst.py.
Mid-burst one node is SIGKILLed: the one that leads the most of what the burst uses (the JetStream
meta group and the streams EVENTS, PRIVATE, DIRECTORY, WIFI_REPORTS, NOTIFICATIONS), services
connected to it counted too. Once the other two lead all of it, the burst goes on against them for a
few seconds; then the node comes back. Afterwards the result is the same as with one server and no
fault: every acknowledged change has exactly one event in its stream and one effect downstream (one
mail per registration), and the node that came back holds every stream again.

Each service connects as its own NATS user with all three URLs in NATS_URL, as in production; the
burst's reports over NATS and the accounting connect as the operator. Sizes: at most 600 changes from
six concurrent clients, 30 a second (the failover takes NATS' election timeouts, seconds); the counts
and who led what are printed with -s.
"""

from __future__ import annotations

import asyncio

import pytest

from shared.config import SERVICES
from tests.deploy.cluster import NODES, ClusterSystem
from tests.faults import burst as changes
from tests.support.stream import eventually

pytestmark = pytest.mark.faults

GAP_S = 3.0  # burst traffic before the kill, after the failover and after the node is back
IN_USE = ("EVENTS", "PRIVATE", "DIRECTORY", "WIFI_REPORTS", "NOTIFICATIONS")


@pytest.fixture
def system(tmp_path):  # this module's own system (not the shared single-server one of conftest.py)
    with ClusterSystem(tmp_path) as running:
        yield running


async def _roles(system: ClusterSystem) -> dict[str, list[str]]:
    """Which node leads what: the meta group and each stream in use."""
    roles: dict[str, list[str]] = {name: [] for name in NODES}
    meta = await asyncio.to_thread(system.cluster.meta_leader)
    if meta in roles:
        roles[meta].append("meta")
    nc = await system.connect()
    try:
        js = nc.jetstream(timeout=2)
        for stream in IN_USE:
            try:
                leader = (await js.stream_info(stream)).cluster.leader
            except Exception:  # no leader at the moment (an election after the kill): leads nothing
                continue
            if leader in roles:
                roles[leader].append(stream)
    finally:
        await nc.close()
    return roles


def _service_connections(system: ClusterSystem, node: str) -> list[str]:
    """The services connected to `node` (each picks one of its three URLs at random; whichever is
    connected to the node that is killed has to fail over)."""
    connz = system.cluster.monitor(node, "connz?auth=1")
    return sorted(user for c in connz.get("connections") or [] if (user := c.get("authorized_user")) in SERVICES)


async def _caught_up(system: ClusterSystem) -> bool:
    """Every stream in use has all three nodes as peers, each current, none lagging."""
    nc = await system.connect()
    try:
        js = nc.jetstream(timeout=5)
        for stream in IN_USE:
            info = (await js.stream_info(stream)).cluster
            peers = {info.leader, *(r.name for r in info.replicas or [])}
            if peers != set(NODES) or not all(r.current and not r.offline and not r.lag for r in info.replicas):
                return False
        return True
    except Exception:
        return False
    finally:
        await nc.close()


async def test_a_cluster_node_sigkilled_during_a_burst_loses_nothing_and_does_nothing_twice(system):
    limit = 600
    burst = await asyncio.to_thread(changes.prepare, system)
    roles = await _roles(system)
    connections = {name: await asyncio.to_thread(_service_connections, system, name) for name in NODES}
    # the node with the most leaderships and services on it; on a tie the one that leads EVENTS
    victim = max(NODES, key=lambda name: (len(roles[name]) + len(connections[name]), "EVENTS" in roles[name]))
    seen: dict = {"roles": roles, "connections": connections, "victim": victim}

    until = asyncio.Event()
    runner = asyncio.create_task(changes.run(system, burst, until, limit, rate=30.0))
    try:
        await asyncio.sleep(GAP_S)
        attempts_before = burst.attempts
        system.cluster.kill(victim)
        assert not runner.done(), "the kill must come while the burst is still running"

        async def failed_over():  # every stream in use and the meta group led by one of the other two
            roles_now = await _roles(system)
            seen["roles_while_down"] = roles_now
            return not roles_now[victim] and sorted(role for roles in roles_now.values() for role in roles) == sorted(
                ["meta", *IN_USE]
            )

        assert await eventually(failed_over, timeout=60, interval=0.5), f"no failover: {seen}"
        await asyncio.sleep(GAP_S)  # the burst goes on against the new leaders
        seen["attempts_while_down"] = burst.attempts - attempts_before
        seen["burst_running_at_restart"] = not runner.done()
        await asyncio.to_thread(system.cluster.start, victim)
        await asyncio.sleep(GAP_S)
    finally:
        until.set()
        await runner

    result = await changes.verify(system, burst)
    print(seen, result)
    acked = sum(len(v) for v in burst.acked.values())
    assert acked > limit / 4, f"too little was acknowledged: {result}"
    assert seen["attempts_while_down"] > 0, "no change was tried while the node was away"
    assert all(burst.acked[kind] for kind in changes.KINDS), f"a kind of change was never acknowledged: {result}"

    assert await eventually(lambda: _caught_up(system), timeout=60, interval=0.5), (
        f"{victim} did not catch up:\n{system.cluster.servers[victim].log_path.read_text()[-2000:]}"
    )
