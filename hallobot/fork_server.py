"""The fork server of `hallobot up` (started and asked by hallobot/preloaded.py): an interpreter that
loads the code the four services share (the modules named on its command line: hallobot/shared_code.py,
and the PostgreSQL driver when a service uses it), then reads one request from stdin (a JSON line: `up`'s
pid and each service's command, environment, log file and own modules), forks each service, writes their
pids to stdout as a JSON line, and exits.

Each service's own modules (named in the request) are loaded here too, before the first fork: what
loading them writes into the shared code's pages (reference counts, caches) is then written once, in
pages the four forks share, instead of once in each fork (the services' memory −9 MiB, bench/README.md,
"Every service's own modules in the fork server").

While it loads, the garbage collector runs its youngest generation every LOADING_GC_THRESHOLD allocations
instead of 700: an import makes many objects and few cycles, and the full collections the default sets
off (three over the loading) took 0.15 s of its ~1.3 s. (Turned off altogether, with one collection at
the end, the forks refilled the holes it freed in the shared pages and the memory gained was gone.)
Then `gc.freeze()` tells the collector to leave what was loaded alone in the forks, whose collections
would otherwise write into the pages holding it and so copy the pages the services share. Each fork has
the default thresholds back.

It exits at once so that it holds no memory while the services run: its pages stay shared by the four
forks, and the ones every fork has written to (CPython writes reference counts into the objects it
uses) would otherwise be a fifth copy kept for nothing. The services, orphaned, become children of `up`,
which made itself their subreaper: `up` waits for them as for any child of its own.

    python -m hallobot.fork_server MODULE...   # stdin: the request; stdout: the pids
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import signal
import sys
import time
import traceback
from importlib import import_module
from typing import Any

DEFAULT_GC_THRESHOLDS = gc.get_threshold()
LOADING_GC_THRESHOLD = 10_000
ADOPTION_TIMEOUT_S = 10.0  # a fork waits this long to become `up`'s child once the fork server has gone


def main(modules: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # `up` stops it; a Ctrl-C is for `up` alone
    gc.set_threshold(LOADING_GC_THRESHOLD)  # while loading (see above); each fork has the defaults again
    for name in modules:
        try:
            import_module(name)
        except ImportError:  # hallobot.shared_code lets nothing else out; a service then loads it itself
            pass
    line = sys.stdin.buffer.readline()
    if not line:  # `up` stopped before it asked
        return 0
    request = json.loads(line)
    for service in request["services"]:
        _load(service.get("modules", ()))
    gc.freeze()
    pids = [_fork(request["parent"], service) for service in request["services"]]
    sys.stdout.write(json.dumps(pids) + "\n")
    sys.stdout.flush()
    os._exit(0)  # at once, without tearing down what it loaded: the forks wait for this to be adopted


def _load(modules: list[str]) -> None:
    """A service's own modules, before the forks. One that fails to load is left to the service, which
    loads it again itself and fails with the error in its log, as it would started on its own (any error:
    the fork server must go on to fork the others)."""
    for name in modules:
        try:
            import_module(name)
        except Exception:
            pass


def _fork(parent: int, service: dict[str, Any]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # pragma: no cover - in the fork
        code = _serve(parent, service["cli_args"], service["env"], service["log_path"])
    except BaseException:  # pragma: no cover - in the fork, whose log is stderr by now
        traceback.print_exc()
    finally:  # pragma: no cover - never back into the fork server's code
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _serve(parent: int, cli_args: list[str], env: dict[str, str], log_path: str) -> int:  # pragma: no cover
    """`hallobot serve …` in the fork, as `python -m hallobot.cli serve …` would run it."""
    os.setpgid(0, 0)  # its own process group: Ctrl-C in the terminal reaches `up` only
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # not the pipe from `up`
    os.close(devnull)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    for stream in (sys.stdout, sys.stderr):  # as PYTHONUNBUFFERED: a line is in the log once written
        stream.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
    os.environ.clear()
    os.environ.update(env)
    gc.set_threshold(*DEFAULT_GC_THRESHOLDS)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not _adopted_by(parent):
        print(f"hallobot: `up` (pid {parent}) is gone; not starting", file=sys.stderr)
        return 1
    from hallobot.cli import main as cli

    sys.argv = ["hallobot", *cli_args]
    try:
        return cli(cli_args)
    except SystemExit as exit:  # as the interpreter would end: None is 0, a message is said and is 1
        if exit.code is None or isinstance(exit.code, int):
            return exit.code or 0
        print(exit.code, file=sys.stderr)
        return 1
    finally:
        atexit._run_exitfuncs()  # what the service left to run at exit (a tracer's last spans, log flushes)


def _adopted_by(parent: int) -> bool:  # pragma: no cover - in the fork
    """Wait until the fork server has exited and `parent` (`up`, the subreaper) is this process's
    parent; then ask for SIGTERM should `up` die without stopping it (asked before, the signal would
    come when the fork server exits)."""
    deadline = time.monotonic() + ADOPTION_TIMEOUT_S
    while os.getppid() != parent:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    from hallobot.supervise import die_with_parent

    die_with_parent()
    return os.getppid() == parent  # `up` may have died between the check and the request


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
