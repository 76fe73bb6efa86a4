"""A real nats-server with JetStream, started on a free port; tests can stop, kill and restart it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from hallobot.ports import free_port
from hallobot.up import nats_server_binary


class NatsServer:
    def __init__(
        self, store_dir: Path, port: int | None = None, config: Path | None = None, extra_args: list[str] | None = None
    ) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.config = config
        self.extra_args = extra_args or []
        self.process: subprocess.Popen | None = None
        self.log_path = store_dir / "nats.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store_dir)]
        if self.config:
            args += ["-c", str(self.config)]
        return args + self.extra_args

    def environment(self) -> dict[str, str] | None:
        return None  # inherit ours

    def start(self, timeout: float = 15.0) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.environment())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nats-server did not start in time")

    def stop(self) -> None:
        """Orderly shutdown (SIGTERM), as an operator would stop it."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def restart(self) -> NatsServer:
        self.stop()
        return self.start()


def running_nats(tmp_path_factory) -> Iterator[NatsServer]:
    """Body of a module-scoped fixture: one server for the tests that share a running service."""
    server = NatsServer(tmp_path_factory.mktemp("nats")).start()
    yield server
    server.kill()
