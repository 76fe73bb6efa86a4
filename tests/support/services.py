"""Run services as real processes (`hallobot serve`), as an operator would: the one service-process
helper of the tests. `started` gives one ready service, `services_running` several that are
killed when the block ends; `ServiceProcess` is the process itself (stop, kill, restart)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from hallobot.ports import free_port
from shared.retry import wait_until

ROOT = Path(__file__).resolve().parents[2]


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.env, self.port = name, env, free_port()
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hallobot.cli", "serve", self.name, "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    # Generous: a loaded two-core machine (several services starting at once) took up to two minutes.
    def wait_ready(self, timeout: float = 180.0) -> None:
        wait_until_ready(self.name, self.process, self.url, self.log_path, timeout)

    def terminate(self, timeout: float = 20.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def started(name: str, env: dict[str, str], log_dir: Path, *, public_url_var: str | None = None) -> ServiceProcess:
    """`hallobot serve <name>` with `env` on a free port, once its /readyz answers 200.
    `public_url_var` names a setting that gets the service's own URL (e.g. EVENTS_PUBLIC_URL)."""
    service = ServiceProcess(name, dict(env), log_dir)
    if public_url_var:
        service.env[public_url_var] = service.url
    service.start().wait_ready()
    return service


@contextmanager
def services_running(names: Iterable[str], env: dict[str, str], log_dir: Path) -> Iterator[dict[str, ServiceProcess]]:
    """Several services started together (then waited for), killed when the block ends."""
    services = {name: ServiceProcess(name, dict(env), log_dir).start() for name in names}
    try:
        for service in services.values():
            service.wait_ready()
        yield services
    finally:
        for service in services.values():
            service.kill()


def wait_until_ready(name: str, process: subprocess.Popen, url: str, log_path: Path, timeout: float = 180.0) -> None:
    """Poll `url`/readyz until it answers 200; fail with the end of the log if the process dies."""

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log_path.read_text()[-3000:]}")
        try:
            return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    if not wait_until(ready, every_s=0.1, within_s=timeout):
        raise RuntimeError(f"{name} not ready:\n{log_path.read_text()[-3000:]}")
