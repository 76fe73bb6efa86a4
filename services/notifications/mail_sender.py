"""The mail sender: one per SMTP connection, with the group commit of their "sent" marks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from opentelemetry.trace import SpanKind

from services.notifications.config import NotificationsSettings
from services.notifications.handlers_delivery import claim, mark_failed, mark_sent_many
from services.notifications.mailer import outgoing
from services.notifications.smtp_client import MailFailure, SmtpConnection, SmtpSecurity
from shared.db import Database
from shared.envelope import utcnow
from shared.metrics import DELIVERIES
from shared.sqlite_connection import WRITES, defer_writes_until_commit
from shared.tracing import child_of_traceparent

Row = dict[str, Any]


class _StoppedAfterSending(Exception):
    """The sender was stopped while a mail went out, and the mail went out: mark it, then stop."""


class SentMarks:
    """Group commit for "the server accepted this mail": each connection waits until its own mark is
    committed before it sends its next mail (so a crash can repeat at most the one mail per connection
    that the server took but we had not marked yet), while the marks of all connections go into one
    commit together: one transaction, one relay round and one batch of the impact monitor for
    several mails instead of one each.

    A commit waits (at most `gather_s`) until every connection that is sending has its mark in it:
    the connections then go in step, each mail's envelope out while the commit runs. Committing at
    once instead took what had arrived, about four marks of eight connections, and each commit with
    what follows it cost ~11 ms of CPU (bench/README.md, "The marks of all connections in one commit").
    A connection that is not sending (between claims, or idle) is not waited for, so a lone mail is
    committed at once."""

    def __init__(self, db: Database, gather_s: float = 0.0) -> None:
        self.db = db
        self.gather_s = gather_s
        self._waiting: list[tuple[list[Row], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._sending = 0  # connections inside a batch, each with at most one mark waiting
        self._gathered: asyncio.Event | None = None

    @contextlib.contextmanager
    def sending(self) -> Iterator[None]:
        """Around a connection's batch: while it is inside, commits wait for its marks."""
        self._sending += 1
        try:
            yield
        finally:
            self._sending -= 1
            self._note_arrival()

    async def mark(self, rows: list[Row]) -> None:
        if rows:
            await asyncio.shield(self.submit(rows))  # a cancelled sender does not cancel the others' commit

    def submit(self, rows: list[Row]) -> asyncio.Future[None]:
        """Queue the marks of these rows; the future is done once they are committed."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((list(rows), done))
        self._note_arrival()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return done

    def _note_arrival(self) -> None:
        if self._gathered is not None and len(self._waiting) >= self._sending:
            self._gathered.set()

    async def _gather(self) -> None:
        """Until every sending connection has a mark waiting, or `gather_s` has passed."""
        if self.gather_s <= 0 or len(self._waiting) >= self._sending:
            return
        self._gathered = asyncio.Event()
        try:
            async with asyncio.timeout(self.gather_s):
                await self._gathered.wait()
        except TimeoutError:
            pass  # a connection waits for a slow server: the others' marks go without it
        finally:
            self._gathered = None

    async def _write(self) -> None:
        while self._waiting:
            await self._gather()
            batch, self._waiting = self._waiting, []
            try:
                async with self.db.write_connection(stages_outbox=True) as connection:
                    # SQLite: the UPDATE and the outbox INSERT go to its thread with the COMMIT
                    await defer_writes_until_commit(connection, WRITES)
                    await mark_sent_many(connection, [row for rows, _ in batch for row in rows])
            except Exception as exc:  # each waiting sender sees the failure (its rows stay 'sending')
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                DELIVERIES.labels("email", "sent").inc(sum(len(rows) for rows, _ in batch))
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


def _span_of(row: Row) -> dict[str, Any]:
    """What the mail's span tells: never the address (the pseudonym of published events instead)."""
    return {
        "hallobot.delivery.id": row["id"],
        "hallobot.event.id": row["event_id"],
        "hallobot.template": row["template"],
    }


def smtp_security(settings: NotificationsSettings) -> SmtpSecurity:
    """The SMTP session's protection from SMTP_TLS, SMTP_USERNAME, SMTP_PASSWORD and SMTP_CA_FILE."""
    return SmtpSecurity(
        tls=settings.smtp_security(),
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
    )


class MailSender:
    """One sender per SMTP connection, each claiming its own small batches as they become due and
    waiting for the next commit when nothing is: no connection waits for another one's batch."""

    def __init__(
        self, db: Database, host: str, port: int, settings: NotificationsSettings, marks: SentMarks | None = None
    ) -> None:
        self.db, self.settings = db, settings
        self.connection = SmtpConnection(host, port, settings.smtp_timeout_s, smtp_security(settings))
        self.marks = marks or SentMarks(db, settings.mark_gather_s)
        self.batch = max(1, settings.sender_batch // settings.sender_connections)

    async def step(self) -> int:
        """Send one claimed batch; returns how many rows it held (0: nothing is due)."""
        rows = await claim(self.db, "email", self.batch, self.settings.sending_lease_s)
        if rows:
            with self.marks.sending():
                await self._send_all(rows)
        return len(rows)

    async def _send_all(self, rows: list[Row]) -> None:
        """Send the claimed rows over this sender's connection. Accepted rows are marked sent in
        batches of NOTIFICATIONS_MARK_SENT_BATCH, committed together with other connections' marks
        (`SentMarks`). A mark commits while the next mail's envelope goes out, and that mail's DATA
        waits for it (`SmtpConnection.send(before_data=…)`): a crash in between resends at most one
        batch per connection, each copy with the same Message-ID."""
        accepted: list[Row] = []
        marking: asyncio.Future[None] | None = None  # the previous batch's mark, not yet known committed
        try:
            for row in rows:
                if self._lease_runs_out(row):
                    break  # the rest go again after their lease, claimed anew (by any sender)
                try:
                    with child_of_traceparent("smtp send", row.get("traceparent"), SpanKind.CLIENT, _span_of(row)):
                        await self._send_through_a_stop(row, marking)
                except MailFailure as exc:
                    if marking is not None:
                        await asyncio.shield(marking)
                    await self._mark_sent(accepted)
                    async with self.db.transaction() as session:
                        dead = await mark_failed(
                            session, row, exc.reason, exc.retry, self.settings.mail_max_attempts, self.settings
                        )
                    DELIVERIES.labels("email", "failed").inc()
                    DELIVERIES.labels("email", "dead" if dead else "retried").inc()
                except _StoppedAfterSending:
                    accepted.append(row)  # the finally below marks it; then the task ends as asked
                    raise asyncio.CancelledError from None
                else:
                    accepted.append(row)
                    if len(accepted) >= self.settings.mark_sent_batch:
                        marking = self.marks.submit(accepted)
                        accepted = []
                        continue
                marking = None  # awaited before this mail's DATA, or just above
        finally:
            if marking is not None:
                await asyncio.shield(marking)
            await self._mark_sent(accepted)

    def _lease_runs_out(self, row: Row) -> bool:
        """True when the row's lease could end before its mail is through (one SMTP timeout left):
        after the lease another sender may claim and send it too. Seen in the kill test on a loaded
        machine: a claim of 25 per connection outlasted the 8 s lease and 50 mails went out twice."""
        lease_until = row.get("lease_until")
        margin = min(self.settings.smtp_timeout_s, self.settings.sending_lease_s / 2)  # a short lease still sends
        return lease_until is not None and utcnow() + timedelta(seconds=margin) >= lease_until

    async def _send_through_a_stop(self, row: Row, marking: asyncio.Future[None] | None) -> None:
        """Send one mail; a stop (the task cancelled: SIGTERM, a rolling upgrade) waits for it to end
        (at most the SMTP timeout) instead of cutting it off after the server may have taken it,
        and the mail then counts as accepted, so `_send_all` marks it before the task ends. Cut off,
        it stayed 'sending' and another instance sent it again when its lease ran out."""
        send = asyncio.ensure_future(self.connection.send(outgoing(row, self.settings.mail_from), before_data=marking))
        try:
            await asyncio.shield(send)
        except asyncio.CancelledError:
            try:
                await send
            except MailFailure:  # not taken: it stays 'sending' and is tried again after its lease
                raise asyncio.CancelledError from None
            raise _StoppedAfterSending from None

    async def _mark_sent(self, accepted: list[Row]) -> None:
        if accepted:
            await self.marks.mark(accepted)
            accepted.clear()

    async def close(self) -> None:
        await self.connection.close()
