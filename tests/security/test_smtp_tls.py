"""Outgoing mail over TLS with a login (issue 14: SMTP had TLS switched off in code and could not log
in). A real aiosmtpd server with certificates from `trustme`: STARTTLS required before AUTH, or
TLS from the first byte; a mail goes out encrypted and logged in; a server that offers no TLS, or a
certificate that does not verify, gets no mail and no password."""

from __future__ import annotations

import secrets
import ssl

import httpx
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import ValidationError

from hallobot.ports import free_port
from hallobot.services import settings_for
from services.notifications.mailer import Outgoing
from services.notifications.smtp_client import MailFailure, SmtpConnection, SmtpSecurity
from tests.notifications.conftest import service_env, smtp, start_service, until  # noqa: F401
from tests.support.smtp import RecordingHandler

USER, PASSWORD = "hallobot", secrets.token_hex(12)


class TlsRecordingHandler(RecordingHandler):
    """Records, with each accepted mail, whether its session was encrypted and who logged in."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[tuple[bool, str | None]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        encrypted = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        logged_in = session.authenticated and isinstance(session.auth_data, LoginPassword)
        login = session.auth_data.login.decode() if logged_in else None
        self.sessions.append((encrypted, login))
        return await super().handle_DATA(server, session, envelope)

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data) -> AuthResult:
        self.logins.append(data.login.decode())
        success = data.login.decode() == USER and data.password.decode() == PASSWORD
        return AuthResult(success=success, handled=False, auth_data=data if success else None)


class TlsSmtpServer:
    """aiosmtpd with a certificate for 127.0.0.1: STARTTLS (required, and AUTH only after it) or
    implicit TLS; a login is required before any mail."""

    def __init__(self, ca: trustme.CA, implicit: bool = False) -> None:
        self.port = free_port()
        self.handler = TlsRecordingHandler()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        tls = {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="smtp.test",
            authenticator=self.handler.authenticate,
            auth_required=True,
            auth_require_tls=not implicit,  # aiosmtpd counts only STARTTLS as TLS; implicit is TLS throughout
            **tls,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def starttls_server(ca):
    server = TlsSmtpServer(ca)
    yield server
    server.stop()


def mail(recipient: str = "anna@example.org") -> Outgoing:
    body = b"From: noreply@hallo-bot.de\r\nTo: " + recipient.encode() + b"\r\nSubject: Test\r\n\r\nHallo\r\n"
    return Outgoing(sender="noreply@hallo-bot.de", recipient=recipient, data=body)


async def send(port: int, security: SmtpSecurity) -> None:
    connection = SmtpConnection("127.0.0.1", port, 5, security)
    try:
        await connection.send(mail())
        await connection.send(mail("bert@example.org"))  # the same session, still encrypted
    finally:
        await connection.close()


async def test_a_mail_goes_out_over_starttls_with_a_login(starttls_server, ca_file):
    await send(starttls_server.port, SmtpSecurity("starttls", USER, PASSWORD, ca_file))
    assert [m["X-Envelope-To"] for m in starttls_server.handler.messages] == ["anna@example.org", "bert@example.org"]
    assert starttls_server.handler.sessions == [(True, USER), (True, USER)]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # it is TLS from the first byte
async def test_a_mail_goes_out_over_implicit_tls_with_a_login(ca, ca_file):
    server = TlsSmtpServer(ca, implicit=True)
    try:
        await send(server.port, SmtpSecurity("implicit", USER, PASSWORD, ca_file))
    finally:
        server.stop()
    assert server.handler.sessions == [(True, USER), (True, USER)]


async def test_a_server_without_tls_gets_no_mail_and_no_password_when_tls_is_required(smtp):  # noqa: F811
    connection = SmtpConnection("127.0.0.1", smtp.port, 5, SmtpSecurity("starttls", USER, PASSWORD))
    with pytest.raises(MailFailure) as refused:
        await connection.send(mail())
    assert refused.value.retry  # our side's configuration or the server's: tried again later
    assert "STARTTLS" in refused.value.reason
    assert smtp.messages == [] and smtp.handler.envelopes == []


async def test_a_certificate_that_does_not_verify_gets_no_mail(starttls_server, tmp_path):
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    connection = SmtpConnection(
        "127.0.0.1", starttls_server.port, 5, SmtpSecurity("starttls", USER, PASSWORD, str(stranger))
    )
    with pytest.raises(MailFailure) as refused:
        await connection.send(mail())
    assert refused.value.retry and "certificate" in refused.value.reason.lower()
    assert starttls_server.handler.logins == [] and starttls_server.handler.messages == []


async def test_a_refused_login_is_retried_later_not_a_dead_recipient(starttls_server, ca_file):
    connection = SmtpConnection("127.0.0.1", starttls_server.port, 5, SmtpSecurity("starttls", USER, "wrong", ca_file))
    with pytest.raises(MailFailure) as refused:
        await connection.send(mail())
    assert refused.value.retry and "535" in refused.value.reason
    assert set(starttls_server.handler.logins) == {USER}  # one try per mechanism (PLAIN, LOGIN)
    assert starttls_server.handler.messages == []


def test_production_uses_starttls_unless_told_otherwise(monkeypatch, tmp_path):
    monkeypatch.setenv("HALLOBOT_ENV", "production")
    monkeypatch.setenv("HALLOBOT_OPERATOR_TOKEN", secrets.token_hex(16))
    monkeypatch.setenv("NOTIFICATIONS_SECRET_KEY", secrets.token_hex(24))
    monkeypatch.setenv("HALLOBOT_SITE_SECRET", secrets.token_hex(24))
    monkeypatch.setenv("SMTP_HOST", "mail-relay.bottrop.example")
    for name in ("SMTP_TLS", "SMTP_USERNAME", "SMTP_PASSWORD", "NATS_URL"):
        monkeypatch.delenv(name, raising=False)
    assert settings_for("notifications", data_dir=tmp_path).smtp_security() == "starttls"
    monkeypatch.setenv("SMTP_TLS", "implicit")
    assert settings_for("notifications", data_dir=tmp_path).smtp_security() == "implicit"
    monkeypatch.setenv("SMTP_TLS", "sometimes")
    with pytest.raises(ValidationError, match="SMTP_TLS"):
        settings_for("notifications", data_dir=tmp_path)
    monkeypatch.setenv("HALLOBOT_ENV", "development")
    monkeypatch.delenv("SMTP_TLS")
    assert settings_for("notifications", data_dir=tmp_path).smtp_security() == "none"  # the local mail sink


async def test_the_service_sends_its_mails_over_starttls_with_the_configured_login(
    nats_server, starttls_server, ca_file, tmp_path
):
    env = service_env(nats_server.url, starttls_server.port, tmp_path / "var")
    env |= {"SMTP_TLS": "starttls", "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD, "SMTP_CA_FILE": ca_file}
    service = start_service(env, tmp_path)
    try:
        answer = httpx.post(
            f"{service.url}/subscriptions",
            json={"email": "carla@example.org", "topics": ["wifi.hotspot.status_changed"]},
        )
        assert answer.status_code == 202
        assert await until(lambda: starttls_server.handler.messages)
    finally:
        service.kill()
    assert starttls_server.handler.messages[0]["X-Envelope-To"] == "carla@example.org"
    assert starttls_server.handler.sessions == [(True, USER)]
