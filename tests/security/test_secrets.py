"""Weak secrets (issue 14, item 9): production refuses every placeholder that the examples ship
(deploy/k8s/secret.example.yaml, .env.example) and every missing secret; without
NOTIFICATIONS_SECRET_KEY a development setup makes its own random key, kept in its data dir, so that
the key that used to be in the source no longer signs a working confirm link."""

from __future__ import annotations

import secrets
import stat
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
import pytest
import yaml
from pydantic import ValidationError

from hallobot.services import settings_for
from services.notifications import domain
from services.notifications.config import SECRET_KEY_FILE
from shared.config import SERVICES, secret_problem
from shared.secrets import redacted_url
from tests.deploy import compose
from tests.notifications.conftest import AUTH, link, press, service_env, smtp, start_service, until  # noqa: F401

OLD_PUBLIC_KEY = "hallobot-development-pseudonym-key"  # in the source of earlier versions
SECRET_NAMES = ("PASSWORD", "TOKEN", "SECRET_KEY", "SITE_SECRET", "_NATS_URL", "_DATABASE_URL")


def good_production_env(tmp_path) -> dict[str, str]:
    return {
        "HALLOBOT_ENV": "production",
        "HALLOBOT_DATA_DIR": str(tmp_path),
        "HALLOBOT_OPERATOR_TOKEN": secrets.token_hex(16),
        "NOTIFICATIONS_SECRET_KEY": secrets.token_hex(24),
        "HALLOBOT_SITE_SECRET": secrets.token_hex(24),
        "NATS_URL": f"nats://notifications:{secrets.token_hex(16)}@nats:4222",
        "SMTP_HOST": "mail-relay.bottrop.example",
    }


@pytest.fixture
def production(monkeypatch, tmp_path):
    """Sets a valid production environment; `production(service, **overrides)` builds its settings."""
    for name in (
        "NATS_URL",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "SMTP_TLS",
        "NOTIFICATIONS_SECRET_KEY",
        "HALLOBOT_SITE_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in good_production_env(tmp_path).items():
        monkeypatch.setenv(name, value)

    def build(service: str, **overrides: str):
        for name, value in overrides.items():
            monkeypatch.setenv(name, value)
        return settings_for(service)

    return build


def as_settings(name: str, value: str) -> list[tuple[str, dict[str, str]]]:
    """Where each secret of the examples reaches a service: (service, environment) pairs."""
    if name in ("HALLOBOT_OPERATOR_TOKEN", "HALLOBOT_SITE_SECRET"):
        return [(service, {name: value}) for service in SERVICES]
    if name == "NOTIFICATIONS_SECRET_KEY":
        return [("notifications", {name: value})]
    if name in ("NATS_ADMIN_URL", "CITY_ADMIN_NATS_URL"):  # `hallobot streams` checks them as NATS_URL
        return [("wifi", {"NATS_URL": value})]
    if name.endswith("_NATS_URL"):
        return [(name.removesuffix("_NATS_URL").lower(), {"NATS_URL": value})]
    if name.endswith("_DATABASE_URL"):
        return [(name.removesuffix("_DATABASE_URL").lower(), {name: value})]
    if name.endswith("_NATS_PASSWORD"):  # in a client's URL, or (compose) in NATS_PASSWORD from a file
        return [
            ("wifi", {"NATS_URL": f"nats://someone:{value}@nats:4222"}),
            ("wifi", {"NATS_URL": "tls://wifi@nats:4222", "NATS_PASSWORD": value}),
        ]
    if name.endswith("_PASSWORD"):  # the database roles' and the superuser's: in the URL, or beside it
        return [
            ("events", {"EVENTS_DATABASE_URL": f"postgresql://events:{value}@postgres:5432/events"}),
            (
                "events",
                {"EVENTS_DATABASE_URL": "postgresql://events@postgres/events", "EVENTS_DATABASE_PASSWORD": value},
            ),
        ]
    raise AssertionError(f"{name}: which setting does this secret reach? Add it here.")


def example_secrets() -> list[tuple[str, str, str]]:
    """(file, name, value) of every secret value in the two examples."""
    found = []
    for document in yaml.safe_load_all((compose.DEPLOY / "k8s" / "secret.example.yaml").read_text()):
        for name, value in (document or {}).get("stringData", {}).items():
            found.append(("secret.example.yaml", name, str(value)))
    for name, value in compose.env_example().items():
        if name.endswith(SECRET_NAMES) and not name.startswith("SMTP_"):
            found.append((".env.example", name, value))
    return found


def test_a_valid_production_environment_starts_every_service(production):
    for service in SERVICES:
        assert production(service).environment == "production"


@pytest.mark.parametrize(("source", "name", "value"), example_secrets(), ids=lambda v: str(v)[:40])
def test_production_refuses_each_placeholder_and_empty_value_of_the_examples(production, source, name, value):
    for service, env in as_settings(name, value):
        with pytest.raises(ValidationError):
            production(service, **env)


def test_the_examples_hold_every_secret_the_test_above_tries():
    names = {name for _, name, _ in example_secrets()}
    assert {"HALLOBOT_OPERATOR_TOKEN", "NOTIFICATIONS_SECRET_KEY", "DIRECTORY_NATS_URL", "EVENTS_DATABASE_URL"} <= names
    assert any(name.endswith("_NATS_PASSWORD") for name in names)


@pytest.mark.parametrize(
    "token", ["", "changeme", "replace-me-with-32-random-characters", "short-token", "a" * 40, "REPLACE" * 4]
)
def test_production_refuses_a_weak_operator_token(production, token):
    with pytest.raises(ValidationError, match="HALLOBOT_OPERATOR_TOKEN"):
        production("directory", HALLOBOT_OPERATOR_TOKEN=token)


def test_production_refuses_a_missing_operator_token_and_secret_key(production, monkeypatch):
    monkeypatch.delenv("NOTIFICATIONS_SECRET_KEY")
    with pytest.raises(ValidationError, match="NOTIFICATIONS_SECRET_KEY is missing"):
        production("notifications")
    monkeypatch.delenv("HALLOBOT_OPERATOR_TOKEN")
    with pytest.raises(ValidationError, match="HALLOBOT_OPERATOR_TOKEN is missing"):
        production("events")


def test_production_refuses_to_start_notifications_without_a_mail_relay(production, monkeypatch):
    monkeypatch.delenv("SMTP_HOST")
    with pytest.raises(ValidationError, match="SMTP_HOST is missing"):
        production("notifications")
    assert production("directory").smtp_host is None  # the services that send no mail do not need it


def test_a_secret_can_come_from_a_file_named_by_its_variable_with_file(production, monkeypatch, tmp_path):
    """NAME_FILE (compose secrets, Kubernetes secrets mounted as files): the file's content is NAME's value,
    its last line break dropped; NAME set directly wins; an unreadable file stops the start naming it."""
    token, url = secrets.token_hex(16), f"postgresql://events:{secrets.token_hex(16)}@postgres:5432/events"
    (tmp_path / "operator_token").write_text(token + "\n")
    (tmp_path / "events_database_url").write_text(url)
    monkeypatch.delenv("HALLOBOT_OPERATOR_TOKEN")
    monkeypatch.setenv("HALLOBOT_OPERATOR_TOKEN_FILE", str(tmp_path / "operator_token"))
    monkeypatch.setenv("EVENTS_DATABASE_URL_FILE", str(tmp_path / "events_database_url"))
    settings = production("events")
    assert settings.operator_token is not None and settings.operator_token.get_secret_value() == token
    assert settings.database_url == url
    monkeypatch.setenv("HALLOBOT_OPERATOR_TOKEN", "direct-" + token)
    assert production("events").operator_token.get_secret_value() == "direct-" + token
    monkeypatch.delenv("HALLOBOT_OPERATOR_TOKEN")
    monkeypatch.setenv("HALLOBOT_OPERATOR_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="HALLOBOT_OPERATOR_TOKEN_FILE"):
        production("events")


def test_passwords_from_files_complete_urls_that_name_only_the_user(production, monkeypatch, tmp_path):
    """Compose's way (docker-compose.yml): NATS_URL and <SERVICE>_DATABASE_URL name the user, the
    passwords come from secret files; a URL with a password of its own keeps it."""
    nats_password, db_password = secrets.token_hex(16) + "/+@", secrets.token_hex(16)
    (tmp_path / "nats").write_text(nats_password + "\n")
    (tmp_path / "db").write_text(db_password + "\n")
    monkeypatch.setenv("NATS_PASSWORD_FILE", str(tmp_path / "nats"))
    monkeypatch.setenv("WIFI_DATABASE_PASSWORD_FILE", str(tmp_path / "db"))
    settings = production(
        "wifi", NATS_URL="tls://wifi@nats-1:4222,tls://wifi@nats-2:4222", WIFI_DATABASE_URL="postgresql://wifi@pg/wifi"
    )
    quoted = quote(nats_password, safe="")
    assert settings.nats_servers() == [f"tls://wifi:{quoted}@nats-1:4222", f"tls://wifi:{quoted}@nats-2:4222"]
    assert (
        urlsplit(settings.nats_servers()[0]).password
        and unquote(urlsplit(settings.nats_servers()[0]).password) == nats_password
    )
    assert settings.resolved_database_url() == f"postgresql://wifi:{db_password}@pg/wifi"
    own = f"nats://wifi:{secrets.token_hex(16)}@nats:4222"
    assert production("wifi", NATS_URL=own).nats_servers() == [own]
    (tmp_path / "db").write_text("")
    with pytest.raises(ValidationError, match="WIFI_DATABASE_PASSWORD is missing"):
        production("wifi")


def test_a_url_in_a_log_line_shows_no_password():
    password = secrets.token_hex(16)
    url = f"tls://wifi:{password}@nats-1:4222, nats://{password}@nats-2:4222,nats://nats-3:4222"
    shown = redacted_url(url)
    assert password not in shown
    assert shown == "tls://wifi:***@nats-1:4222,nats://***@nats-2:4222,nats://nats-3:4222"


def test_a_variable_that_ends_in_file_and_is_a_path_is_not_read_as_a_secret(production, monkeypatch, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("not read here")
    monkeypatch.setenv("SMTP_CA_FILE", str(ca))
    monkeypatch.setenv("SSL_CERT_FILE_FILE", str(tmp_path / "absent"))  # no setting of that name: ignored
    assert production("notifications").smtp_ca_file == ca


@pytest.mark.parametrize("key", [OLD_PUBLIC_KEY, "ab" * 20, secrets.token_hex(8)])
def test_production_refuses_the_old_public_key_and_short_or_monotonous_keys(production, key):
    with pytest.raises(ValidationError, match="NOTIFICATIONS_SECRET_KEY"):
        production("notifications", NOTIFICATIONS_SECRET_KEY=key)


def test_production_refuses_a_placeholder_smtp_password_and_a_login_without_tls(production):
    with pytest.raises(ValidationError, match="SMTP_PASSWORD"):
        production("notifications", SMTP_USERNAME="hallobot", SMTP_PASSWORD="REPLACE")
    with pytest.raises(ValidationError, match="SMTP_TLS"):
        production("notifications", SMTP_USERNAME="hallobot", SMTP_PASSWORD=secrets.token_hex(12), SMTP_TLS="none")


# --- the development key ------------------------------------------------------------------------


@pytest.fixture
def development(monkeypatch):
    monkeypatch.setenv("HALLOBOT_ENV", "development")
    monkeypatch.delenv("NOTIFICATIONS_SECRET_KEY", raising=False)

    def build(data_dir):
        return settings_for("notifications", data_dir=data_dir)

    return build


def test_without_a_key_development_makes_one_per_data_dir_and_keeps_it_private(development, tmp_path):
    first = development(tmp_path / "a").secret_key.get_secret_value()
    again = development(tmp_path / "a").secret_key.get_secret_value()
    other = development(tmp_path / "b").secret_key.get_secret_value()
    assert first == again != other
    assert len(first) >= 32 and OLD_PUBLIC_KEY not in (first, other)
    path = tmp_path / "a" / SECRET_KEY_FILE
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_old_public_key_is_refused_in_development_too(development, monkeypatch, tmp_path):
    monkeypatch.setenv("NOTIFICATIONS_SECRET_KEY", OLD_PUBLIC_KEY)
    with pytest.raises(ValidationError, match="placeholder"):
        development(tmp_path)


async def test_a_confirm_link_signed_with_the_old_public_key_is_refused(nats_server, smtp, tmp_path):  # noqa: F811
    env = service_env(nats_server.url, smtp.port, tmp_path / "var")
    del env["NOTIFICATIONS_SECRET_KEY"]  # as `hallobot up` runs it
    service = start_service(env, tmp_path)
    try:
        created = httpx.post(
            f"{service.url}/subscriptions",
            json={"email": "victim@example.org", "topics": ["wifi.hotspot.status_changed"]},
        ).json()
        assert created["status"] == "pending"
        assert (tmp_path / "var" / SECRET_KEY_FILE).is_file()

        assert await until(lambda: smtp.to("victim@example.org"))
        real_link = link(smtp.to("victim@example.org")[0], "confirm")
        real_token = parse_qs(urlsplit(real_link).query)["token"][0]
        forged = domain.confirm_token(OLD_PUBLIC_KEY, created["id"], int(real_token.split(".")[0]))
        assert real_token != forged
        refused = httpx.post(f"{service.url}/subscriptions/{created['id']}/confirm", params={"token": forged})
        assert refused.status_code == 404
        assert httpx.get(real_link.replace(real_token, forged)).status_code == 404  # the page too

        def status() -> str:
            rows = httpx.get(f"{service.url}/subscriptions", headers=AUTH, params={"channel": "email"}).json()
            return next(row["status"] for row in rows if row["id"] == created["id"])

        assert status() == "pending"
        assert press(real_link).status_code == 200
        assert status() == "active"
    finally:
        service.kill()


def test_random_secrets_pass_the_check_and_typed_ones_do_not():
    assert secret_problem(secrets.token_hex(16)) is None
    assert secret_problem(secrets.token_urlsafe(24)) is None
    for weak in ["", "   ", "changeme", "Password", "replace-me-please-now", "your-token-here-12345", "a1" * 12]:
        assert secret_problem(weak) is not None, weak
