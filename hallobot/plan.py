"""What `hallobot up` starts, where, and with which settings, read from the environment (`Plan`),
and the checks before anything starts (ports, values)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hallobot.ports import ensure_free
from shared.service_names import DEFAULT_PORTS, SERVICES

HOST = "127.0.0.1"
DEFAULT_DATA_DIR = "./var"
DEFAULT_NATS_PORT = 14222
DEFAULT_NATS_MONITOR_PORT = 18222
DEFAULT_SMTP_PORT = 1025
DEFAULT_WEB_PORT = 8000  # the front door (Caddy), the one address for people
# Each service's internal port (/metrics, detailed /readyz), on 127.0.0.1 like everything `up` starts.
DEFAULT_INTERNAL_PORTS = {"directory": 18001, "events": 18002, "wifi": 18003, "notifications": 18004}
READY_TIMEOUT_S = 60.0


class UpError(Exception):
    """A problem `up` explains in one sentence and ends with `exit_code` (no traceback)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Plan:
    """What `up` will start, where, and with which settings; read from the environment."""

    data_dir: Path
    nats_url: str
    embedded_nats: bool
    nats_port: int
    nats_monitor_port: int
    embedded_sink: bool
    smtp_host: str
    smtp_port: int
    service_ports: dict[str, int]
    internal_ports: dict[str, int]
    operator_token: str
    token_generated: bool
    ready_timeout_s: float
    web_port: int = DEFAULT_WEB_PORT
    site_url: str = ""  # what links in mails point at; the front door unless HALLOBOT_SITE_URL says otherwise
    database_urls: dict[str, str] = field(default_factory=dict)
    fork_services: bool = False  # forked from one interpreter that loaded their code (hallobot/preloaded.py)

    @property
    def nats_dir(self) -> Path:
        return self.data_dir / "nats"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def web_url(self) -> str:
        """The front door on this machine."""
        return f"http://{HOST}:{self.web_port}"

    def service_url(self, service: str) -> str:
        return f"http://{HOST}:{self.service_ports[service]}"

    def internal_url(self, service: str) -> str:
        return f"http://{HOST}:{self.internal_ports[service]}"

    def ports_to_bind(self) -> list[tuple[int, str, str]]:
        """(port, what, hint) for every port a child of `up` will listen on."""
        ports: list[tuple[int, str, str]] = [(self.web_port, "the front door (Caddy)", "set HALLOBOT_WEB_PORT")]
        if self.embedded_nats:
            ports.append(
                (
                    self.nats_port,
                    "the embedded nats-server",
                    "set HALLOBOT_NATS_PORT, or NATS_URL to use a NATS server that already runs",
                )
            )
            ports.append(
                (self.nats_monitor_port, "the embedded nats-server's monitoring", "set HALLOBOT_NATS_MONITOR_PORT")
            )
        if self.embedded_sink:
            ports.append(
                (
                    self.smtp_port,
                    "the local mail sink",
                    "set HALLOBOT_SMTP_PORT, or SMTP_HOST/SMTP_PORT to use a real mail server",
                )
            )
        for service in SERVICES:
            ports.append(
                (self.service_ports[service], f"the {service} service", f"set HALLOBOT_{service.upper()}_PORT")
            )
            ports.append(
                (
                    self.internal_ports[service],
                    f"the {service} service's internal port (metrics, readiness)",
                    f"set HALLOBOT_{service.upper()}_INTERNAL_PORT",
                )
            )
        return ports


def _int_env(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UpError(f"hallobot: {name}={raw!r} is not a port number.", 2) from None
    if not 1 <= value <= 65535:
        raise UpError(f"hallobot: {name}={value} is outside 1..65535.", 2)
    return value


def plan_from_env(env: dict[str, str] | None = None) -> Plan:
    """Read the plan from the environment (the variables are listed in hallobot/up.py); UpError(2) when invalid."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("HALLOBOT_DATA_DIR") or DEFAULT_DATA_DIR).expanduser().resolve()

    external_nats = env.get("NATS_URL", "").strip()
    nats_port = _int_env(env, "HALLOBOT_NATS_PORT", DEFAULT_NATS_PORT)
    nats_monitor_port = _int_env(env, "HALLOBOT_NATS_MONITOR_PORT", DEFAULT_NATS_MONITOR_PORT)

    external_smtp = env.get("SMTP_HOST", "").strip()
    if external_smtp:
        smtp_port = _int_env(env, "SMTP_PORT", DEFAULT_SMTP_PORT)
    else:
        smtp_port = _int_env(env, "HALLOBOT_SMTP_PORT", DEFAULT_SMTP_PORT)

    service_ports = {
        service: _int_env(env, f"HALLOBOT_{service.upper()}_PORT", DEFAULT_PORTS[service]) for service in SERVICES
    }

    internal_ports = {
        service: _int_env(env, f"HALLOBOT_{service.upper()}_INTERNAL_PORT", DEFAULT_INTERNAL_PORTS[service])
        for service in SERVICES
    }

    web_port = _int_env(env, "HALLOBOT_WEB_PORT", DEFAULT_WEB_PORT)
    site_url = env.get("HALLOBOT_SITE_URL", "").strip() or f"http://{HOST}:{web_port}"

    token = env.get("HALLOBOT_OPERATOR_TOKEN", "").strip()
    generated = not token
    if generated:
        from shared.secrets import new_token

        token = new_token("hbo")

    try:
        timeout = float(env.get("HALLOBOT_UP_TIMEOUT_S") or READY_TIMEOUT_S)
    except ValueError:
        raise UpError(f"hallobot: HALLOBOT_UP_TIMEOUT_S={env['HALLOBOT_UP_TIMEOUT_S']!r} is not a number.", 2) from None

    start = (env.get("HALLOBOT_UP_START") or "fork").strip().lower()
    if start not in ("fork", "exec"):
        raise UpError(f"hallobot: HALLOBOT_UP_START={start!r}: say fork or exec.", 2)
    from hallobot.preloaded import available

    return Plan(
        data_dir=data_dir,
        nats_url=external_nats or f"nats://{HOST}:{nats_port}",
        embedded_nats=not external_nats,
        nats_port=nats_port,
        nats_monitor_port=nats_monitor_port,
        embedded_sink=not external_smtp,
        smtp_host=external_smtp or HOST,
        smtp_port=smtp_port,
        service_ports=service_ports,
        internal_ports=internal_ports,
        operator_token=token,
        token_generated=generated,
        ready_timeout_s=timeout,
        web_port=web_port,
        site_url=site_url,
        database_urls={
            service: env[f"{service.upper()}_DATABASE_URL"]
            for service in SERVICES
            if env.get(f"{service.upper()}_DATABASE_URL")
        },
        fork_services=start == "fork" and available(),
    )


def check_ports(plan: Plan) -> None:
    """UpError(2) when a port is given twice or is already taken; names every such port."""
    seen: dict[int, str] = {}
    for port, what, _hint in plan.ports_to_bind():
        if port in seen:
            raise UpError(
                f"hallobot: port {port} is configured for both {seen[port]} and {what}; give each its own port.",
                2,
            )
        seen[port] = what
    taken = [port for port, what, hint in plan.ports_to_bind() if not ensure_free(HOST, port, what, hint)]
    if taken:
        raise UpError(f"hallobot: not started, port(s) {', '.join(map(str, taken))} in use.", 2)
