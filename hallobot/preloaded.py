"""The services of `hallobot up`, forked from one interpreter that has loaded the code they share once.

Loading a service's code (FastAPI, SQLAlchemy, pydantic, FastStream, shared/, its own models and pages)
is most of its start: about a second of CPU each, four times over on two cores, while a bare FastAPI
app loads in a third of that (bench/README.md, "The services forked from one fork server"). So `up`
starts the standard library's fork server (`multiprocessing`, start method "forkserver") with
hallobot/shared_code.py preloaded (shared/ and the libraries under it), at once and beside nats-server
and the mail sink, and each service is a fork of it that loads only its own modules, the four on both
cores at once. The shared code is loaded once and its pages stay shared between the four
(copy-on-write) instead of being four copies.

A forked service is what `python -m hallobot.cli serve <service>` is: the same entry, its own
environment, its own process group (Ctrl-C in the terminal reaches `up` only), its log file on stdout
and stderr, SIGTERM should its parent go (Linux). Its parent is the fork server, itself a child of
`up` that `up` ends after the services. `HALLOBOT_UP_START=exec` starts each service as its own
interpreter instead (as on platforms without a fork server)."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import subprocess
import sys
from multiprocessing.context import ForkServerContext
from pathlib import Path

from hallobot.plan import UpError

PRELOAD = "hallobot.shared_code"
POSTGRESQL_DRIVER = ("asyncpg", "sqlalchemy.dialects.postgresql.asyncpg")  # when a service uses PostgreSQL


def available() -> bool:
    return os.name == "posix" and "forkserver" in multiprocessing.get_all_start_methods()


_context: ForkServerContext | None = None


def fork_server(postgresql: bool = False) -> ForkServerContext:
    """The fork server's context; its process starts (and begins loading the services' shared code, and
    the PostgreSQL driver when a service uses PostgreSQL) at the first call, without waiting for it."""
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        # the driver first: shared_code.py, loaded last, freezes what is loaded by then
        _context.set_forkserver_preload([*(POSTGRESQL_DRIVER if postgresql else ()), PRELOAD])
        from multiprocessing import forkserver

        forkserver.ensure_running()
    return _context


def stop_fork_server() -> None:
    """Once the services have stopped: end the fork server (and multiprocessing's resource tracker
    beside it) now, not a moment after `up` has gone, when each notices that its pipe from `up` closed.
    The methods are the standard library's own (its tests use them); where a version lacks one, that
    process still ends by itself with `up`."""
    global _context
    if _context is None:
        return
    from multiprocessing import forkserver, resource_tracker

    for stop in (
        getattr(forkserver._forkserver, "_stop", None),
        getattr(resource_tracker._resource_tracker, "_stop", None),
    ):
        if stop is not None:
            stop()
    _context = None


class ForkedProcess:
    """A forked service with the part of `subprocess.Popen`'s interface `up` uses."""

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self._process = process

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return None if self._process.is_alive() else self._process.exitcode

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        if self._process.is_alive():
            raise subprocess.TimeoutExpired(f"service {self._process.name}", timeout or 0)
        return self._process.exitcode


def fork_service(name: str, cli_args: list[str], env: dict[str, str], log_path: Path) -> ForkedProcess:
    """Fork `hallobot serve` with `cli_args` from the fork server (started if it is not yet)."""
    process = fork_server().Process(target=_serve, args=(cli_args, env, str(log_path)), name=name, daemon=False)
    try:
        process.start()
    except Exception as exc:  # the fork server did not answer (it could not start, or ended)
        raise UpError(
            f"hallobot: cannot fork {name} from the fork server ({exc!r}); "
            "HALLOBOT_UP_START=exec starts each service as an interpreter of its own",
            1,
        ) from None
    return ForkedProcess(process)


def _serve(cli_args: list[str], env: dict[str, str], log_path: str) -> None:  # pragma: no cover - in the child
    os.setpgid(0, 0)  # as `spawn` does: its own process group
    if sys.platform.startswith("linux"):
        from hallobot.supervise import die_with_parent

        die_with_parent()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the fork server ignores it; a service does not
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    for stream in (sys.stdout, sys.stderr):  # as PYTHONUNBUFFERED: a line is in the log once written
        stream.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
    os.environ.clear()
    os.environ.update(env)
    from hallobot.cli import main

    sys.argv = ["hallobot", *cli_args]
    try:
        code = main(cli_args)
    finally:
        # multiprocessing ends a child with os._exit, which skips what the service left to run at exit
        # (a tracer's last spans, the log handlers' flush): run it as an interpreter's exit would.
        atexit._run_exitfuncs()
    sys.exit(code)
