"""nats-server started from one of deploy/nats/'s configuration files, copied and put on loopback."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from hallobot.ports import free_port
from hallobot.up import nats_server_binary
from tests.deploy import compose
from tests.support.nats import NatsServer


def copy_config_dir(target: Path) -> Path:
    shutil.copytree(compose.DEPLOY / "nats", target)
    return target


def set_store_dir(config: Path, store_dir: Path) -> None:
    text, count = re.subn(r"store_dir: \S+", f"store_dir: {store_dir}", config.read_text())
    assert count == 1, f"{config.name} has no single store_dir to move"
    config.write_text(text)


class ConfiguredNatsServer(NatsServer):
    """`nats-server --config <file>` as in compose; listen and monitoring ports moved to free ones."""

    def __init__(self, config: Path, store_dir: Path, env: dict[str, str]) -> None:
        super().__init__(store_dir, config=config)
        self.env = env
        self.monitor_port = free_port()
        self.log_path = config.parent / f"nats-{self.port}.log"

    def start(self, timeout: float = 15.0) -> ConfiguredNatsServer:
        args = [nats_server_binary(), "--config", str(self.config), "-a", "127.0.0.1", "-p", str(self.port),
                "-m", str(self.monitor_port)]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                        env={"PATH": os.environ["PATH"], **self.env})
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
