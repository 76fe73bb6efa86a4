"""HalloBot's three-node NATS cluster (deploy/nats/cluster.conf, accounts and permissions included) on
loopback: routes and ports moved to free ones, one store dir per node, random passwords. Any node can
be SIGKILLed and started again on the same ports and store.

`ClusterSystem` runs the whole system (tests/support/system.py) against it: each service with its own
NATS user and all three URLs in NATS_URL, streams R3."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nats

from hallobot.ports import free_port
from shared.config import SERVICES
from tests.deploy import compose
from tests.deploy.nats_node import (
    ConfiguredNatsServer,
    copy_config_dir,
    install_certificates,
    set_store_dir,
    tls_context,
)
from tests.support.system import System

NODES = ("nats-1", "nats-2", "nats-3")


class Cluster:
    def __init__(self, servers: dict[str, ConfiguredNatsServer], env: dict[str, str], ca_file: Path) -> None:
        self.servers, self.env, self.ca_file = servers, env, ca_file

    @classmethod
    def create(cls, root: Path) -> Cluster:
        """Configure the three nodes under `root` (not started): cluster.conf as deployed, on loopback."""
        names = compose.nats_password_variables()
        env = {name: secrets.token_hex(12) for name in names}
        route_ports = {name: free_port() for name in NODES}
        servers = {}
        ca_file: Path | None = None
        for name in NODES:
            config_dir = copy_config_dir(root / name)
            ca_file = install_certificates(config_dir, same_as=ca_file.parent if ca_file else None)
            config = config_dir / "cluster.conf"
            text = config.read_text().replace("listen: 0.0.0.0:6222", f"listen: 127.0.0.1:{route_ports[name]}")
            for peer, port in route_ports.items():
                text = text.replace(f"{peer}:6222", f"127.0.0.1:{port}")
            assert not re.search(r"nats-\d:6222|0\.0\.0\.0", text), "cluster.conf changed shape; update this helper"
            config.write_text(text)
            set_store_dir(config, root / name / "data")
            servers[name] = ConfiguredNatsServer(
                config, root / name / "data", {**env, "NATS_SERVER_NAME": name}, ca_file
            )
        assert ca_file is not None
        return cls(servers, env, ca_file)

    def start(self, name: str | None = None) -> Cluster:
        """Start one node, or every node that is not running."""
        for node in [name] if name else NODES:
            if not self.running(node):
                self.servers[node].start()
        return self

    def kill(self, name: str | None = None) -> None:
        """SIGKILL one node, or all of them."""
        for node in [name] if name else NODES:
            self.servers[node].kill()

    def running(self, name: str) -> bool:
        process = self.servers[name].process
        return process is not None and process.poll() is None

    def urls(self, user: str, first: str | None = None, without: str | None = None) -> list[str]:
        password = self.env["NATS_OPERATOR_PASSWORD" if user == "operator" else f"{user.upper()}_NATS_PASSWORD"]
        names = sorted(self.servers, key=lambda name: name != first)
        return [f"tls://{user}:{password}@127.0.0.1:{self.servers[name].port}" for name in names if name != without]

    def nats_url(self, user: str) -> str:
        """NATS_URL as a service gets it: all three nodes, comma-separated, each with the credentials."""
        return ",".join(self.urls(user))

    def monitor(self, name: str, endpoint: str, timeout: float = 2.0) -> dict:
        """A node's monitoring endpoint (/jsz, /connz?auth=1, ...) as JSON."""
        port = self.servers[name].monitor_port
        return httpx.get(f"http://127.0.0.1:{port}/{endpoint.lstrip('/')}", timeout=timeout).json()

    def meta_leader(self) -> str | None:
        """The JetStream meta leader as a live node sees it (None while there is none)."""
        for name in NODES:
            if self.running(name):
                try:
                    leader = self.monitor(name, "jsz").get("meta_cluster", {}).get("leader")
                except (httpx.HTTPError, ValueError):
                    continue
                if leader:
                    return leader
        return None

    def wait_until_healthy(self, timeout: float = 60.0) -> None:
        """Sync: until every running node answers /healthz (JetStream current, meta leader known)."""
        deadline = time.monotonic() + timeout
        for name in NODES:
            if not self.running(name):
                continue
            port = self.servers[name].monitor_port
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not healthy:\n{self.servers[name].log_path.read_text()[-2000:]}")
                time.sleep(0.2)
        if not self.meta_leader():
            raise RuntimeError("the cluster has no JetStream meta leader")

    async def connect(self, user: str = "operator", **options) -> nats.NATS:
        return await nats.connect(
            self.urls(user), max_reconnect_attempts=-1, reconnect_time_wait=0.2, tls=self.tls(), **options
        )

    def tls(self):
        return tls_context(self.ca_file)

    def service_env(self, user: str) -> dict[str, str]:
        """What compose gives a service: its NATS_URL (all three nodes), inbox prefix and CA."""
        return {
            "NATS_URL": self.nats_url(user),
            "HALLOBOT_NATS_INBOX_PREFIX": f"_INBOX_{user}",
            "HALLOBOT_NATS_CA_FILE": str(self.ca_file),
        }

    async def wait_for_jetstream(self, timeout: float = 30.0) -> None:
        """Until the cluster has elected its JetStream meta leader and answers API requests."""
        nc = await self.connect()
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    await nc.jetstream(timeout=1).account_info()
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)
        finally:
            await nc.close()


class ClusterSystem(System):
    """tests/support/system.py's System against a three-node cluster instead of one nats-server.
    The burst and its accounting (tests/faults/burst.py) connect as the operator, to all three nodes.
    The four services start at once, as compose starts them: they declare the same R3 streams
    concurrently on a fresh cluster (shared.streams.ensure_streams retries what the cluster leaves
    unanswered)."""

    def __init__(self, root: Path, env: dict[str, str] | None = None, services=SERVICES) -> None:
        cluster = Cluster.create(root / "cluster")
        super().__init__(
            root,
            {**cluster.service_env("operator"), "HALLOBOT_STREAM_REPLICAS": "3", **(env or {})},
            services,
            service_env={name: cluster.service_env(name) for name in services},
        )
        self.cluster = cluster
        self.nats = None  # there is no single server here: self.cluster

    def start_nats(self) -> None:
        self.cluster.start()
        self.cluster.wait_until_healthy()
        # as compose's one-shot does before the services start: the admin declares the streams
        declare = subprocess.run(
            [sys.executable, "-m", "hallobot.cli", "streams"],
            env={**os.environ, **self.cluster.service_env("operator"), "HALLOBOT_STREAM_REPLICAS": "3"},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert declare.returncode == 0, declare.stdout + declare.stderr

    def nats_running(self) -> bool:
        return all(self.cluster.running(name) for name in NODES)

    def kill_nats(self) -> None:
        self.cluster.kill()

    async def connect(self) -> nats.NATS:
        return await self.cluster.connect()
