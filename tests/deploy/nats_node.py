"""nats-server started from one of deploy/nats/'s configuration files, copied and put on loopback."""

from __future__ import annotations

import os
import re
import shutil
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

    def command(self) -> list[str]:
        # The config file names its own store_dir (moved by set_store_dir), so no -js/-sd here.
        return [
            nats_server_binary(),
            "--config",
            str(self.config),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-m",
            str(self.monitor_port),
        ]

    def environment(self) -> dict[str, str]:
        return {"PATH": os.environ["PATH"], **self.env}
