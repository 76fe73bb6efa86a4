"""One reused SMTP session (aiosmtplib) per sender connection, and what its failures mean. The
session is plain, upgraded with STARTTLS (required: a server that does not offer it gets no mail),
or TLS from the first byte; with a login when a username is configured (only ever after TLS unless
TLS is switched off)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from typing import Literal

import aiosmtplib

from services.notifications.delivery_rules import classify_smtp_failure
from services.notifications.mailer import Outgoing


class MailFailure(Exception):
    def __init__(self, reason: str, retry: bool) -> None:
        super().__init__(reason)
        self.reason, self.retry = reason, retry


@dataclass(frozen=True)
class SmtpSecurity:
    """How a session is protected: SMTP_TLS, SMTP_USERNAME/SMTP_PASSWORD, SMTP_CA_FILE. Certificates
    are always verified against the host name (the system's CAs, plus `ca_file`; or `tls_context`)."""

    tls: Literal["none", "starttls", "implicit"] = "none"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    tls_context: ssl.SSLContext | None = None

    def client(self, host: str, port: int, timeout: float) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=host,
            port=port,
            timeout=timeout,
            use_tls=self.tls == "implicit",
            start_tls=self.tls == "starttls",  # True: no mail if not offered; False (not None): no guessing
            validate_certs=True,
            cert_bundle=self.ca_file if self.tls_context is None else None,
            tls_context=self.tls_context,
            username=self.username,
            password=self.password,
        )


class SmtpConnection:
    """One SMTP session reused for several messages; reconnects when the server dropped it."""

    def __init__(self, host: str, port: int, timeout: float, security: SmtpSecurity | None = None) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.security = security or SmtpSecurity()
        self.client: aiosmtplib.SMTP | None = None

    async def send(self, mail: Outgoing, before_data: asyncio.Future[None] | None = None) -> None:
        """Send one message. `before_data`, when given, is awaited after the envelope (MAIL FROM,
        RCPT TO) and before DATA: the sender's mark of its previous mail commits while this mail's
        first round trips run, and this mail still cannot be accepted before that mark is committed.
        If it fails, the envelope is dropped and its exception raised."""
        client = await self._session()
        try:
            if isinstance(mail.data, bytes):
                await self._send_bytes(client, mail, before_data)
                return
            if before_data is not None:
                await asyncio.shield(before_data)
            errors, _ = await client.send_message(mail.data)
        except aiosmtplib.SMTPRecipientRefused as exc:
            outcome = classify_smtp_failure(exc.code, exc.message)
            raise MailFailure(outcome.reason, outcome.retry) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusal = exc.recipients[0] if exc.recipients else None
            outcome = classify_smtp_failure(getattr(refusal, "code", None), getattr(refusal, "message", "refused"))
            raise MailFailure(outcome.reason, outcome.retry) from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self.close()
            outcome = classify_smtp_failure(exc.code, exc.message)
            raise MailFailure(outcome.reason, outcome.retry) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            raise MailFailure(f"smtp unreachable: {exc!r}"[:500], retry=True) from exc
        if errors:
            code, text = next(iter(errors.values()))
            outcome = classify_smtp_failure(code, text)
            raise MailFailure(outcome.reason, outcome.retry)

    async def _session(self) -> aiosmtplib.SMTP:
        """The connected session. A failure here (unreachable, no STARTTLS offered, a certificate that
        does not verify, a refused login) is the server's or our configuration's, never the
        recipient's: always retried later, even with a 5xx answer such as 535."""
        try:
            return await self._connected()
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
            await self.close()
            raise MailFailure(f"smtp session refused: {exc!r}"[:500], retry=True) from exc

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is None or not self.client.is_connected:
            self.client = self.security.client(self.host, self.port, self.timeout)
            await self.client.connect()  # and STARTTLS, then the login, as configured
        client = self.client
        if client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()
        return client

    async def _send_bytes(
        self, client: aiosmtplib.SMTP, mail: Outgoing, before_data: asyncio.Future[None] | None
    ) -> None:
        """aiosmtplib's `sendmail` for one ASCII recipient, split so that `before_data` can be
        awaited between the envelope and DATA."""
        data = mail.data
        assert isinstance(data, bytes)  # the caller sends EmailMessages with send_message
        options = [f"SIZE={len(data)}"] if client.supports_extension("size") else []
        try:
            await client.mail(mail.sender, options=options)
            await client.rcpt(mail.recipient)
            if before_data is not None:
                await asyncio.shield(before_data)
            await client.data(data)
        except aiosmtplib.SMTPResponseException:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                await client.rset()  # as sendmail does: the connection stays usable
            raise
        except BaseException:  # the earlier mark failed, or we are stopping: drop the envelope
            self.client = None
            client.close()
            raise

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except Exception:
                client.close()
