"""The services of `hallobot up`, forked from one interpreter that has loaded the code they share once.

Loading a service's code (FastAPI, SQLAlchemy, pydantic, FastStream, shared/, its own models and pages)
is most of its start: about a second of CPU each, four times over on two cores, while a bare FastAPI
app loads in a third of that (bench/README.md, "The services forked from one fork server"). So `up`
starts a fork server (hallobot/fork_server.py) with hallobot/shared_code.py preloaded (shared/ and the
libraries under it), at once and beside nats-server and the mail sink; at `up`'s request it loads each
service's own modules as well, and each service is a fork of it. The code is loaded once and its pages
stay shared between the four (copy-on-write) instead of being four copies.

The fork server forks the four at `up`'s one request and exits; `up` is their subreaper
(PR_SET_CHILD_SUBREAPER), so they become its children as the services it spawns in exec mode are, and it
waits for them, signals them and reads their exit codes the same way (`ForkedProcess`). A forked
service is what `python -m hallobot.cli serve <service>` is: the same entry, its own environment, its
own process group (Ctrl-C in the terminal reaches `up` only), its log file on stdout and stderr,
SIGTERM should `up` die. `HALLOBOT_UP_START=exec` starts each service as its own interpreter instead
(as on systems other than Linux)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hallobot.plan import UpError

PRELOAD = "hallobot.shared_code"
POSTGRESQL_DRIVER = ("asyncpg", "sqlalchemy.dialects.postgresql.asyncpg")  # when a service uses PostgreSQL
PR_SET_CHILD_SUBREAPER = 36
ANSWER_TIMEOUT_S = 120.0  # the preload takes about a second; a machine under load takes longer


def available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


_server: subprocess.Popen[bytes] | None = None


def fork_server(postgresql: bool = False) -> subprocess.Popen[bytes]:
    """The fork server; it starts (and begins loading the services' shared code, and the PostgreSQL
    driver when a service uses PostgreSQL) at the first call, without waiting for it. `up` becomes the
    subreaper of what it starts: the forks become its children once the fork server has exited."""
    global _server
    if _server is None:
        _become_subreaper()
        from hallobot.supervise import die_with_parent

        modules = [*(POSTGRESQL_DRIVER if postgresql else ()), PRELOAD]
        _server = subprocess.Popen(
            [sys.executable, "-m", "hallobot.fork_server", *modules],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            process_group=0,  # Ctrl-C in the terminal reaches `up` only
            preexec_fn=die_with_parent,
            env=_fork_server_env(),
        )
    return _server


# glibc's malloc gives each thread that allocates an arena of its own, up to eight per core; a service's
# threads (the default executor's, aiosqlite's) then keep memory in arenas of their own. Two are enough:
# the threads take turns under the GIL anyway (−2 MiB over the four services, bench/README.md). Read by
# glibc when the fork server starts; the forks inherit it. A value set in the environment is kept.
MALLOC_ARENAS = "2"


def _fork_server_env() -> dict[str, str]:
    return {"MALLOC_ARENA_MAX": MALLOC_ARENAS, **os.environ}


def _become_subreaper() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise UpError(
            f"hallobot: cannot adopt the forked services (prctl: {os.strerror(ctypes.get_errno())}); "
            "HALLOBOT_UP_START=exec starts each service as an interpreter of its own",
            1,
        )


def stop_fork_server() -> None:
    """The fork server exits once it has forked the services; when `up` stops before that, end it."""
    global _server
    if _server is None:
        return
    process, _server = _server, None
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()


@dataclass
class ForkRequest:
    name: str
    cli_args: list[str]
    env: dict[str, str]
    log_path: Path
    modules: tuple[str, ...] = ()  # its own code, loaded by the fork server right before it forks it


def fork_services(requests: list[ForkRequest]) -> dict[str, ForkedProcess]:
    """Fork `hallobot serve …` for each request from the fork server (started if it is not yet), all
    at one request, then wait until the fork server has exited: the forks are `up`'s children then."""
    process = fork_server()
    message = {
        "parent": os.getpid(),
        "services": [
            {"cli_args": r.cli_args, "env": r.env, "log_path": str(r.log_path), "modules": list(r.modules)}
            for r in requests
        ],
    }
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(message).encode() + b"\n")
        process.stdin.close()
        pids = json.loads(_read_line(process.stdout, ANSWER_TIMEOUT_S) or b"null")
        process.wait(ANSWER_TIMEOUT_S)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        pids = None
        problem = repr(exc)
    else:
        problem = f"exit code {process.returncode}"
    if not isinstance(pids, list) or len(pids) != len(requests):
        stop_fork_server()
        raise UpError(
            f"hallobot: the fork server did not fork the services ({problem}); "
            "HALLOBOT_UP_START=exec starts each service as an interpreter of its own",
            1,
        )
    stop_fork_server()  # gone already: closes its pipes
    return {request.name: ForkedProcess(int(pid)) for request, pid in zip(requests, pids, strict=True)}


def _read_line(stream: IO[bytes], timeout: float) -> bytes:
    """One line from the fork server, or b"" when it does not answer within `timeout`."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return b""
    return stream.readline()


class ForkedProcess:
    """A forked service, `up`'s child by adoption, with the part of `subprocess.Popen`'s interface `up`
    uses."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._returncode: int | None = None

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def returncode(self) -> int | None:
        return self._returncode

    def poll(self) -> int | None:
        if self._returncode is None:
            try:
                pid, status = os.waitpid(self._pid, os.WNOHANG)
            except ChildProcessError:  # not `up`'s child (cannot happen once adopted): treat as gone
                self._returncode = 255
            else:
                if pid:
                    self._returncode = os.waitstatus_to_exitcode(status)
        return self._returncode

    def _signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self._pid, signum)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self._pid}", timeout or 0)
            time.sleep(0.01)
        return self._returncode
