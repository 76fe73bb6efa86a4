"""One reused SMTP session (aiosmtplib) per sender connection, and what its failures mean."""

from __future__ import annotations

import asyncio
import contextlib

import aiosmtplib

from services.notifications.delivery_rules import classify_smtp_failure
from services.notifications.mailer import Outgoing


class MailFailure(Exception):
    def __init__(self, reason: str, retry: bool) -> None:
        super().__init__(reason)
        self.reason, self.retry = reason, retry


class SmtpConnection:
    """One SMTP session reused for several messages; reconnects when the server dropped it."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.client: aiosmtplib.SMTP | None = None

    async def send(self, mail: Outgoing, before_data: asyncio.Future[None] | None = None) -> None:
        """Send one message. `before_data`, when given, is awaited after the envelope (MAIL FROM,
        RCPT TO) and before DATA: the sender's mark of its previous mail commits while this mail's
        first round trips run, and this mail still cannot be accepted before that mark is committed.
        If it fails, the envelope is dropped and its exception raised."""
        try:
            client = await self._connected()
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

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is None or not self.client.is_connected:
            self.client = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=self.timeout, start_tls=False)
            await self.client.connect()
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
