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


CERTS_IN_CONFIG = "/etc/nats/certs/"  # where nats.conf and cluster.conf look for the TLS certificate


def install_certificates(config_dir: Path, same_as: Path | None = None) -> Path:
    """A CA of its own (trustme) and a server certificate for 127.0.0.1, localhost and nats in
    `config_dir`/certs, as compose mounts them (or a copy of `same_as`, another node's certs); the
    configuration files are pointed there. Returns the CA file clients trust (HALLOBOT_NATS_CA_FILE)."""
    import trustme

    certs = config_dir / "certs"
    certs.mkdir(exist_ok=True)
    if same_as is not None:
        for name in ("server.pem", "server-key.pem", "ca.pem"):
            shutil.copy(same_as / name, certs / name)
    else:
        ca = trustme.CA()
        server = ca.issue_cert("127.0.0.1", "localhost", "nats")
        server.cert_chain_pems[0].write_to_path(str(certs / "server.pem"))
        for extra in server.cert_chain_pems[1:]:
            extra.write_to_path(str(certs / "server.pem"), append=True)
        server.private_key_pem.write_to_path(str(certs / "server-key.pem"))
        ca.cert_pem.write_to_path(str(certs / "ca.pem"))
    for name in ("nats.conf", "cluster.conf"):
        config = config_dir / name
        text = config.read_text()
        assert CERTS_IN_CONFIG in text, f"{name} no longer reads its certificate from {CERTS_IN_CONFIG}"
        config.write_text(text.replace(CERTS_IN_CONFIG, f"{certs}/"))
    return certs / "ca.pem"


def tls_context(ca_file: Path):
    import ssl

    return ssl.create_default_context(cafile=str(ca_file))


def set_store_dir(config: Path, store_dir: Path) -> None:
    text, count = re.subn(r"store_dir: \S+", f"store_dir: {store_dir}", config.read_text())
    assert count == 1, f"{config.name} has no single store_dir to move"
    config.write_text(text)


class ConfiguredNatsServer(NatsServer):
    """`nats-server --config <file>` as in compose; listen and monitoring ports moved to free ones."""

    def __init__(self, config: Path, store_dir: Path, env: dict[str, str], ca_file: Path | None = None) -> None:
        super().__init__(store_dir, config=config)
        self.env = env
        self.ca_file = ca_file  # the configuration has TLS: clients connect with tls:// and this CA
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

    @property
    def url(self) -> str:
        return f"{'tls' if self.ca_file else 'nats'}://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {"PATH": os.environ["PATH"], **self.env}
