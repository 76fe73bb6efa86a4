"""Run docker-compose.yml's stack as local processes: what compose would start, minus the containers.

Hostnames of the compose network (nats, postgres, mailpit) become 127.0.0.1 (or PostgreSQL's
socket directory), fixed ports become free ones; commands, environment and configuration files are
the compose file's own.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from hallobot.ports import free_port
from tests.deploy import compose
from tests.support.services import wait_until_ready

BIN = Path(sys.executable).parent


def secret_env() -> dict[str, str]:
    """A filled-in .env: every variable of .env.example, secrets random, optional ones unset."""
    env = {}
    for name, value in compose.env_example().items():
        if name.endswith(("PASSWORD", "TOKEN", "SECRET_KEY", "SECRET")):
            env[name] = secrets.token_hex(16)
        elif value:
            env[name] = value
    # the mail relay of a trial (`--profile dev`): the dev profile's Mailpit, which the tests replace
    return env | {"SMTP_HOST": "mailpit", "SMTP_PORT": "1025", "SMTP_TLS": "none"}


def nats_environment(compose_file: dict, spec: dict, env: dict[str, str], into: Path) -> dict[str, str]:
    """The variables nats-server gets in its container: the nats service's secret files, turned into
    variables by its command's deploy/nats/with-secrets.sh (run here, printing them)."""
    argv = compose.command(spec)
    assert argv[:2] == ["sh", "/etc/nats/with-secrets.sh"], "the nats service no longer starts through with-secrets.sh"
    files = compose.secret_files(compose_file, spec, env, into)
    shown = subprocess.run(
        ["sh", str(compose.DEPLOY / "nats" / "with-secrets.sh"), "env"],
        env={"PATH": os.environ["PATH"], "HALLOBOT_SECRETS_DIR": str(into)},
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    ).stdout
    exported = dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)
    names = [Path(path).name.upper() for path in files.values()]
    return {name: exported[name] for name in names}


def image_env() -> dict[str, str]:
    """The ENV of the Dockerfile's runtime stage."""
    env = {}
    for line in compose.dockerfile_final_stage():
        if line.upper().startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def add_hosts(target: Path, hosts: dict[str, str]) -> None:
    """Add hotspot host users to a copy of hosts.conf, in the format documented there."""
    entries = "\n".join(
        f'    {{ user: "hotspot-{hotspot}", password: "{password}",\n'
        f'      permissions: {{ publish: {{ allow: ["hallobot.wifi.reports.{hotspot}"] }}, '
        f'subscribe: {{ deny: ">" }} }} }}'
        for hotspot, password in hosts.items()
    )
    hosts_conf = target / "hosts.conf"
    text, count = re.subn(r"users: \[\s*\]", f"users: [\n{entries}\n  ]", hosts_conf.read_text())
    assert count == 1, "hosts.conf no longer has the empty users list the test fills"
    hosts_conf.write_text(text)


def run_postgres_init(server_url: str, env: dict[str, str], secret_files: dict[str, str]) -> None:
    """Run deploy/postgres/init-databases.sh as the postgres image's entrypoint does on first start:
    with the postgres service's environment `env` and its compose secrets (`secret_files`, as
    compose.secret_files gives them), which the script reads from their directory."""
    directories = {str(Path(path).parent) for path in secret_files.values()}
    assert len(directories) == 1, "the postgres service mounts no secrets"
    url = make_url(server_url)
    psql = shutil.which("psql")
    if not psql:
        import pgserver

        psql = str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "psql")
    script_env = {
        "PATH": f"{Path(psql).parent}:{os.environ['PATH']}",
        "PGHOST": url.query.get("host") or url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGPASSWORD": url.password or "",
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_DB": url.database or "postgres",
        "HALLOBOT_SECRETS_DIR": directories.pop(),  # /run/secrets in the container
        **{k: v for k, v in env.items() if k.endswith("_DB_PASSWORD")},
    }
    subprocess.run(
        ["sh", str(compose.DEPLOY / "postgres" / "init-databases.sh")],
        env=script_env,
        check=True,
        capture_output=True,
        timeout=60,
    )


def local_database_url(compose_url: str, server_url: str) -> str:
    """postgresql://svc:pw@postgres:5432/svc pointed at the test server (TCP or socket)."""
    server, url = make_url(server_url), make_url(compose_url)
    if server.query.get("host"):
        url = url.set(
            host=None,
            port=None,
            query={"host": server.query["host"], **({"port": str(server.port)} if server.port else {})},
        )
    else:
        url = url.set(host=server.host, port=server.port or 5432)
    return url.render_as_string(hide_password=False)


@dataclass
class ComposeService:
    """One of the four HalloBot services, started with its compose command and environment."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    healthcheck: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def internal_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HALLOBOT_INTERNAL_PORT']}"

    def start(self, cwd: Path) -> ComposeService:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.argv, cwd=cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 120.0) -> None:
        wait_until_ready(self.name, self.process, self.url, self.log_path, timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def nats_env_on_loopback(env: dict[str, str], nats_port: int, nats_ca_file: Path) -> dict[str, str]:
    """NATS_URL (and HALLOBOT_CITY_NATS_URL) at the test's server, the CA file where the test made it."""
    env = dict(env)
    for var in ("NATS_URL", "HALLOBOT_CITY_NATS_URL"):
        if var in env:
            assert "@nats:4222" in env[var], f"{var} no longer points at nats:4222"
            env[var] = env[var].replace("@nats:4222", f"@127.0.0.1:{nats_port}")
    assert env.get("HALLOBOT_NATS_CA_FILE"), "compose gives no HALLOBOT_NATS_CA_FILE"
    env["HALLOBOT_NATS_CA_FILE"] = str(nats_ca_file)
    return env


def compiled_bytecode() -> dict[str, str]:
    """The image ships its code compiled (UV_COMPILE_BYTECODE) and writes none (PYTHONDONTWRITEBYTECODE):
    here the tests' bytecode cache (tests/conftest.py) stands in for the compiled files, read only.
    Without it each process compiled a thousand modules from source, seconds of CPU per start."""
    prefix = os.environ.get("PYTHONPYCACHEPREFIX")
    return {"PYTHONPYCACHEPREFIX": prefix} if prefix else {}


def with_secret_files(env: dict[str, str], secret_files: dict[str, str]) -> dict[str, str]:
    """Compose mounts the secrets at /run/secrets; here they are files in the test's directory."""
    return {
        variable: secret_files[value] if variable.endswith("_FILE") and value.startswith("/run/secrets/") else value
        for variable, value in env.items()
    }


def run_one_shot(
    spec: dict, *, nats_port: int, nats_ca_file: Path, workdir: Path, secret_files: dict[str, str]
) -> subprocess.CompletedProcess:
    """A run-to-completion compose service (`nats-streams`) with its command, environment and secrets."""
    argv = compose.command(spec)
    assert argv[0] == "hallobot"
    env = nats_env_on_loopback(compose.environment(spec), nats_port, nats_ca_file)
    env = with_secret_files(env, secret_files)
    env = {**image_env(), **env, "PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(workdir)}
    if "PYTHONPATH" in os.environ:  # the checkout under test is what the image would have installed
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    env |= compiled_bytecode()
    return subprocess.run(
        [str(BIN / "hallobot"), *argv[1:]], env=env, cwd=workdir, capture_output=True, text=True, timeout=120
    )


def service_as_compose_runs_it(
    name: str,
    spec: dict,
    *,
    nats_port: int,
    postgres_server_url: str,
    smtp_port: int,
    workdir: Path,
    nats_ca_file: Path,
    secret_files: dict[str, str],
) -> ComposeService:
    """The command and environment compose gives `name`, with the compose network mapped to loopback."""
    argv = compose.command(spec)
    container_port = int(compose.option(argv, "--port"))
    port = free_port()
    assert argv[0] == "hallobot"
    argv = [str(BIN / "hallobot"), *argv[1:]]
    argv[argv.index("--host") + 1] = "127.0.0.1"
    argv[argv.index("--port") + 1] = str(port)

    env = nats_env_on_loopback(compose.environment(spec), nats_port, nats_ca_file)
    db_var = f"{name.upper()}_DATABASE_URL"
    env[db_var] = local_database_url(env[db_var], postgres_server_url)
    assert env["SMTP_HOST"] == "mailpit" and env["SMTP_PORT"] == "1025"
    env["SMTP_HOST"], env["SMTP_PORT"] = "127.0.0.1", str(smtp_port)
    env["HALLOBOT_DATA_DIR"] = str(workdir / "data")
    env = with_secret_files(env, secret_files)
    assert env["HALLOBOT_INTERNAL_PORT"] == "9000"  # one port per container; here one host runs all four
    env["HALLOBOT_INTERNAL_HOST"], env["HALLOBOT_INTERNAL_PORT"] = "127.0.0.1", str(free_port())
    container = {**image_env(), **env}
    container |= {"PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(workdir)}
    if os.environ.get("PYTHONPATH"):  # a checkout's code instead of the installed package's, as in other tests
        container["PYTHONPATH"] = os.environ["PYTHONPATH"]
    container |= compiled_bytecode()

    test = spec["healthcheck"]["test"]
    healthcheck = [part.replace(f":{container_port}/", f":{port}/") for part in test[1:]]
    if healthcheck[0] == "python":
        healthcheck[0] = sys.executable
    return ComposeService(name, argv, container, port, workdir / f"{name}.log", healthcheck)
