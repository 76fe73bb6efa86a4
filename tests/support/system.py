"""The whole of HalloBot as separate processes, as an operator runs it: a real nats-server, a real
SMTP server (aiosmtpd, recording), the four services (`hallobot serve <name>`) on one data dir with
their SQLite files. Fault tests stop, kill and restart any part of it.

Timings are tightened (relay poll, ack wait, retry backoff, mail lease) so that what recovers does so
within seconds, not the production minutes; the mechanisms are the same.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import nats

from shared.config import SERVICES
from tests.support.nats import NatsServer
from tests.support.services import ServiceProcess
from tests.support.smtp import SmtpServer

OPERATOR_TOKEN = "system-test-operator-token-0123456789"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
OFFICE_EMAIL = "wirtschaft@bottrop.example"

FAST_ENV = {
    "HALLOBOT_OPERATOR_TOKEN": OPERATOR_TOKEN,
    "HALLOBOT_LOG_LEVEL": "WARNING",
    "HALLOBOT_RELAY_POLL_INTERVAL_S": "0.1",
    "HALLOBOT_CONSUMER_ACK_WAIT_S": "5",
    "HALLOBOT_CONSUMER_BACKOFF_S": "[0.2, 0.5, 1.0]",
    "HALLOBOT_CONSUMER_MAX_DELIVER": "5",
    "HALLOBOT_GRACEFUL_TIMEOUT_S": "3",
    "NOTIFICATIONS_OPERATOR_EMAILS": OFFICE_EMAIL,
    "NOTIFICATIONS_SENDER_POLL_S": "0.2",
    "NOTIFICATIONS_SMTP_TIMEOUT_S": "3",
    "NOTIFICATIONS_BACKOFF_BASE_S": "0.3",
    "NOTIFICATIONS_BACKOFF_MAX_S": "1.5",
    "NOTIFICATIONS_MAIL_MAX_ATTEMPTS": "100",  # an SMTP outage of the tests must not kill mails
    "NOTIFICATIONS_SENDING_LEASE_S": "8",  # a SIGKILLed sender's claims come back this soon
    # The tests' clients are one address: X-Forwarded-For from loopback is believed (the fuzz sends
    # one), and the per-client limits are far above what a burst sends (tests/security tries them).
    "HALLOBOT_TRUSTED_PROXIES": "127.0.0.1/32,::1/128",
    "DIRECTORY_REGISTRATION_LIMIT": "1000",
    "EVENTS_REGISTRATION_LIMIT": "100000",
    "NOTIFICATIONS_SUBSCRIPTION_LIMIT": "100000",
    "WIFI_REPORT_LIMIT": "100000",
}


class System:
    """nats-server + aiosmtpd + the four services, each its own process, sharing one data dir."""

    def __init__(
        self,
        root: Path,
        env: dict[str, str] | None = None,
        services=SERVICES,
        service_env: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.root = root
        self.data_dir = root / "var"
        self.log_dir = root / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.nats = NatsServer(root / "nats")
        self.smtp = SmtpServer()
        self.env = {
            **FAST_ENV,
            "NATS_URL": self.nats.url,
            "HALLOBOT_DATA_DIR": str(self.data_dir),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp.port),
            **(env or {}),
        }
        # service_env: what differs per service (e.g. its own NATS user in NATS_URL)
        self.services = {
            name: ServiceProcess(name, {**self.env, **(service_env or {}).get(name, {})}, self.log_dir)
            for name in services
        }

    def url(self, name: str) -> str:
        return self.services[name].url

    def client(self, name: str, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.url(name), timeout=timeout)

    def start_nats(self) -> None:
        self.nats.start()

    def nats_running(self) -> bool:
        return self.nats.process is not None and self.nats.process.poll() is None

    def kill_nats(self) -> None:
        self.nats.kill()

    def start(self) -> System:
        self.start_nats()
        self.smtp.start()
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            service.wait_ready()
        return self

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hooks, no graceful drain, as a crash or the OOM killer would."""
        self.services[name].kill()

    def restart(self, name: str) -> None:
        self.services[name].start().wait_ready()

    def ensure_running(self) -> None:
        """Bring back whatever a previous test left stopped or killed."""
        if not self.nats_running():
            self.start_nats()
        if not self.smtp.running:
            self.smtp.start()
        for service in self.services.values():
            if service.process is None or service.process.poll() is not None:
                service.start()
        for service in self.services.values():
            service.wait_ready()

    def stop(self) -> None:
        for service in self.services.values():
            service.kill()
        self.smtp.stop()
        self.kill_nats()

    def __enter__(self) -> System:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    async def connect(self) -> nats.NATS:
        return await nats.connect(self.nats.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)

    def query(self, service: str, sql: str, *params) -> list[tuple]:
        """Read a service's SQLite database directly (read-only) to see its effects."""
        path = self.data_dir / f"{service}.sqlite3"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    def logs(self, name: str, tail: int = 3000) -> str:
        path = self.services[name].log_path
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""


_shared: System | None = None


def shared_system(tmp_path_factory, config) -> System:
    """One running system for every test module that asks (fuzz and fault tests), started on first
    use and stopped when pytest ends: start-up costs tens of seconds on two cores. Tests that share it
    count only what carries their own ids."""
    global _shared
    if _shared is None:
        system = System(tmp_path_factory.mktemp("system"))
        with_cleanup = system.__enter__()
        config.add_cleanup(system.stop)
        _shared = with_cleanup
    _shared.ensure_running()
    return _shared


def wait_until(predicate, timeout: float, interval: float = 0.2):
    """Poll a sync predicate until truthy; return its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
