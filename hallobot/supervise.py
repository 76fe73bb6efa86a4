"""Child processes of `hallobot up`: start one with its log file, watch it, stop them in order, and
turn Ctrl-C/SIGTERM/SIGHUP into an orderly stop (`Stopper`).

Children run in their own process group, so a Ctrl-C in the terminal reaches only `up`, which then
stops them in the right order. On Linux they are also told to get SIGTERM should `up` itself die
without cleaning up (e.g. SIGKILL), so nothing is left running."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from hallobot.plan import UpError

LOG_TAIL_LINES = 25


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


class Process(Protocol):
    """What `up` needs of a child: `subprocess.Popen`, or a service forked from the fork server and
    adopted by `up` (hallobot/preloaded.py, `ForkedProcess`)."""

    @property
    def pid(self) -> int | None: ...

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int | None: ...


@dataclass
class Child:
    name: str
    process: Process
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
    if isinstance(record, dict) and "msg" in record and "message" not in record:  # Caddy's log
        record = _from_caddy(record)
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


def _from_caddy(record: dict[str, Any]) -> dict[str, Any]:
    """Caddy's record (`ts` in epoch seconds, `msg`, often `error`) in the services' shape."""
    message = str(record["msg"]) + (f": {record['error']}" if record.get("error") else "")
    moment = record.get("ts")
    when = datetime.fromtimestamp(moment).isoformat(sep=" ", timespec="seconds") if isinstance(moment, float) else ""
    level = str(record.get("level", "")).upper()
    return {"time": when, "level": level, "logger": record.get("logger"), "message": message}


def die_with_parent() -> None:  # pragma: no cover - runs in the child (between fork and exec, or forked)
    """Linux: deliver SIGTERM to this child should `up` die without stopping it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def open_log(log_path: Path, name: str, what: str) -> IO[bytes]:
    """The child's log file, appended to, with a line that says what starts now."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log: IO[bytes] = open(log_path, "ab")
    log.write(f"\n===== {datetime.now().isoformat(timespec='seconds')} hallobot up starts {name}: {what}\n".encode())
    log.flush()
    return log


def spawn(name: str, argv: list[str], env: dict[str, str], log_path: Path) -> Child:
    log = open_log(log_path, name, " ".join(argv))
    try:
        extra: dict[str, Any] = {}
        if os.name == "posix":
            extra["process_group"] = 0  # Ctrl-C in the terminal reaches `up` only; `up` stops children in order
            if sys.platform.startswith("linux"):
                extra["preexec_fn"] = die_with_parent
        process = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, **extra
        )
    except OSError as exc:
        raise UpError(f"hallobot: cannot start {name} ({argv[0]}): {exc}", 1) from None
    finally:
        log.close()
    return Child(name, process, log_path)


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("HALLOBOT_OPERATOR_TOKEN", None)  # only the services get the operator token
    env["PYTHONUNBUFFERED"] = "1"
    return env


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


def tcp_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """GET `url` on this machine: (status, body); an error when nothing answers. The standard library's
    client, no proxy: `up` runs as long as everything it started, and httpx would cost it 30 MiB and a
    second of start-up (bench/README.md, "Start-up and memory")."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def check_running(child: Child) -> None:
    if not child.alive():
        child.report_death()
        raise UpError(f"hallobot: {child.name} could not start; see {child.log_path}", 1)
