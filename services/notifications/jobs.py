"""Background work: the mail and webhook senders, the daily digest and forgetting old data.

A sender claims due rows (status pending, or sending with an expired lease after a crash), marks
them `sending` with a lease and counts the attempt in the same transaction, sends, and then marks
the accepted rows sent in small batches (plus a notifications.delivery.sent event each) or
schedules the retry. Several instances never send one row twice: a claim is a conditional update
(SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import handlers, models
from services.notifications.config import NotificationsSettings
from services.notifications.domain import backoff
from services.notifications.mailer import BERLIN, MailFailure, SmtpConnection, outgoing
from services.notifications.webhooks import WebhookFailure, check_target, post
from shared.catalog import DeliveryFailed, DeliverySent
from shared.db import Database
from shared.envelope import utcnow
from shared.outbox import add_event, add_events

log = logging.getLogger("hallobot.notifications.jobs")
D, S = models.deliveries, models.subscriptions


class Wake:
    """Lets a consumer's commit start the senders at once instead of at their next poll."""

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []

    def waiter(self) -> asyncio.Event:
        self._events.append(asyncio.Event())
        return self._events[-1]

    def set(self) -> None:
        for waiter in self._events:
            waiter.set()

    def after_commit(self, session: AsyncSession) -> None:
        sa_event.listen(session.sync_session, "after_commit", lambda _s: self.set(), once=True)


wake = Wake()


# Built once with bind parameters: a sender claims and marks a mail or a few at a time, and
# building these statements anew each time cost more CPU than running them.
_DUE = (
    select(D)
    .where(
        D.c.channel == bindparam("channel"),
        D.c.status.in_(("pending", "sending")),
        D.c.next_attempt_at <= bindparam("now"),
    )
    .order_by(D.c.next_attempt_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_TAKE = (
    update(D)
    .where(
        D.c.id.in_(bindparam("ids", expanding=True)),
        D.c.status.in_(("pending", "sending")),
        D.c.next_attempt_at <= bindparam("now"),
    )
    .values(status="sending", attempts=D.c.attempts + 1, next_attempt_at=bindparam("lease_until"))
)
_MARK_SENT = (
    update(D)
    .where(D.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="sent", sent_at=bindparam("sent_at"), last_error=None)
)


async def claim(db: Database, channel: str, limit: int, lease_s: float) -> list[dict[str, Any]]:
    now = utcnow()
    async with db.transaction() as session:
        rows = (await session.execute(_DUE, {"channel": channel, "now": now, "limit": limit})).mappings().all()
        if not rows:
            return []
        # One statement for the batch. The rows are ours for this transaction (locked with SKIP LOCKED
        # on PostgreSQL; on SQLite BEGIN IMMEDIATE holds the only write lock), so the same conditions
        # hold as in the SELECT; they are repeated as a guard.
        result = await session.execute(
            _TAKE, {"ids": [row["id"] for row in rows], "now": now, "lease_until": now + timedelta(seconds=lease_s)}
        )
        if result.rowcount != len(rows):  # cannot happen under the lock; never send what we do not own
            raise RuntimeError(f"claimed {result.rowcount} of {len(rows)} deliveries; trying again")
        return [dict(row) | {"attempts": row["attempts"] + 1} for row in rows]


async def mark_sent(session: AsyncSession, row: dict) -> None:
    await mark_sent_many(session, [row])


async def mark_sent_many(session: AsyncSession, rows: list[dict]) -> None:
    """Rows the server accepted: one UPDATE and one multi-row outbox INSERT for all of them."""
    if not rows:
        return
    await session.execute(_MARK_SENT, {"ids": [row["id"] for row in rows], "sent_at": utcnow()})
    await add_events(
        session,
        models.outbox,
        [
            DeliverySent(
                delivery_id=row["id"], channel=row["channel"], recipient=row["recipient_ref"], event_id=row["event_id"]
            )
            for row in rows
        ],
    )


async def mark_failed(
    session: AsyncSession, row: dict, reason: str, retry: bool, max_attempts: int, settings: NotificationsSettings
) -> bool:
    """Schedule the next try, or give up (dead, visible to operators); True when it is dead."""
    reason = reason.replace(row["recipient"], "<recipient>")  # reasons are published: no addresses
    if retry and row["attempts"] < max_attempts:
        wait = backoff(row["attempts"], settings.backoff_base_s, settings.backoff_max_s)
        await session.execute(
            update(D)
            .where(D.c.id == row["id"])
            .values(status="pending", next_attempt_at=utcnow() + wait, last_error=reason[:500])
        )
        return False
    await session.execute(update(D).where(D.c.id == row["id"]).values(status="dead", last_error=reason[:500]))
    await add_event(
        session,
        models.outbox,
        DeliveryFailed(
            delivery_id=row["id"],
            channel=row["channel"],
            recipient=row["recipient_ref"],
            event_id=row["event_id"],
            reason=reason[:500],
        ),
    )
    log.warning("delivery dead", extra={"delivery_id": row["id"], "channel": row["channel"], "reason": reason})
    return True


async def _loop(name: str, step: Callable[[], Awaitable[int]], poll_s: float) -> None:
    waiter = wake.waiter()
    while True:
        waiter.clear()  # before the step: a commit from now on brings the next step at once
        try:
            busy = await step()
        except Exception:  # the next pass tries again; a job must not take the service down
            log.exception("%s failed", name)
            busy = 0
        if not busy:
            try:
                await asyncio.wait_for(waiter.wait(), poll_s)
            except TimeoutError:
                pass


# --- mail --------------------------------------------------------------------------------------


class SentMarks:
    """Group commit for "the server accepted this mail": each connection waits until its own mark is
    committed before it sends its next mail (so a crash can repeat at most the one mail per connection
    that the server took but we had not marked yet), while the marks of all connections that arrive
    during one commit go into the next commit together: one transaction and one relay round for
    several mails instead of one each."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[tuple[list[dict], asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def mark(self, rows: list[dict]) -> None:
        if rows:
            await asyncio.shield(self.submit(rows))  # a cancelled sender does not cancel the others' commit

    def submit(self, rows: list[dict]) -> asyncio.Future:
        """Queue the marks of these rows; the future is done once they are committed."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((list(rows), done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return done

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with self.db.transaction() as session:
                    await mark_sent_many(session, [row for rows, _ in batch for row in rows])
            except Exception as exc:  # each waiting sender sees the failure (its rows stay 'sending')
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


class MailSender:
    """One sender per SMTP connection, each claiming its own small batches as they become due and
    waiting for the next commit when nothing is: no connection waits for another one's batch."""

    def __init__(
        self, db: Database, host: str, port: int, settings: NotificationsSettings, marks: SentMarks | None = None
    ) -> None:
        self.db, self.settings = db, settings
        self.connection = SmtpConnection(host, port, settings.smtp_timeout_s)
        self.marks = marks or SentMarks(db)
        self.batch = max(1, settings.sender_batch // settings.sender_connections)

    async def step(self) -> int:
        """Send one claimed batch; returns how many rows it held (0: nothing is due)."""
        rows = await claim(self.db, "email", self.batch, self.settings.sending_lease_s)
        if rows:
            await self._send_all(rows)
        return len(rows)

    async def _send_all(self, rows: list[dict]) -> None:
        """Send the claimed rows over this sender's connection. Accepted rows are marked sent in
        batches of NOTIFICATIONS_MARK_SENT_BATCH, committed together with other connections' marks
        (`SentMarks`). A mark commits while the next mail's envelope goes out, and that mail's DATA
        waits for it (`SmtpConnection.send(before_data=…)`): a crash in between resends at most one
        batch per connection, each copy with the same Message-ID."""
        accepted: list[dict] = []
        marking: asyncio.Future | None = None  # the previous batch's mark, not yet known committed
        try:
            for row in rows:
                try:
                    await self.connection.send(outgoing(row, self.settings.mail_from), before_data=marking)
                except MailFailure as exc:
                    if marking is not None:
                        await asyncio.shield(marking)
                    await self._mark_sent(accepted)
                    async with self.db.transaction() as session:
                        await mark_failed(
                            session, row, exc.reason, exc.retry, self.settings.mail_max_attempts, self.settings
                        )
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

    async def _mark_sent(self, accepted: list[dict]) -> None:
        if accepted:
            await self.marks.mark(accepted)
            accepted.clear()

    async def close(self) -> None:
        await self.connection.close()


async def mail_sender(runtime) -> None:
    settings: NotificationsSettings = runtime.settings
    host = runtime.settings.smtp_host or "127.0.0.1"
    marks = SentMarks(runtime.db)  # shared: the connections' marks are committed together
    senders = [
        MailSender(runtime.db, host, runtime.settings.smtp_port, settings, marks)
        for _ in range(settings.sender_connections)
    ]
    try:
        await asyncio.gather(
            *(_loop(f"mail sender {n}", sender.step, settings.sender_poll_s) for n, sender in enumerate(senders, 1))
        )
    finally:
        for sender in senders:
            await sender.close()


# --- webhooks ------------------------------------------------------------------------------------


class WebhookSender:
    def __init__(self, db: Database, settings: NotificationsSettings) -> None:
        self.db, self.settings = db, settings
        self.client = httpx.AsyncClient(timeout=settings.webhook_timeout_s, follow_redirects=False)

    async def step(self) -> int:
        # Every consumer commit wakes the senders; a read (no write lock) first spares the claim's
        # write transaction when no webhook is due, which is the common case.
        async with self.db.reading() as session:
            due = (
                await session.execute(
                    select(D.c.id)
                    .where(
                        D.c.channel == "webhook",
                        D.c.status.in_(("pending", "sending")),
                        D.c.next_attempt_at <= utcnow(),
                    )
                    .limit(1)
                )
            ).first()
        if due is None:
            return 0
        rows = await claim(self.db, "webhook", self.settings.sender_batch, self.settings.sending_lease_s)
        await asyncio.gather(*(self._send(row) for row in rows))
        return len(rows)

    async def _send(self, row: dict) -> None:
        async with self.db.reading() as session:
            sub = (await session.execute(select(S).where(S.c.id == row["subscription_id"]))).mappings().first()
            allow = await handlers.allowlist(session, self.settings)
        if sub is None or sub["status"] != "active":
            async with self.db.transaction() as session:
                await mark_failed(session, row, "subscription no longer active", False, 0, self.settings)
            return
        refusal = await check_target(sub["url"], allow)
        try:
            if refusal:
                raise WebhookFailure(refusal)
            await post(self.client, sub["url"], sub["secret"], row["id"], row["body"])
        except WebhookFailure as exc:
            async with self.db.transaction() as session:
                failures = sub["failures"] + 1
                await session.execute(update(S).where(S.c.id == sub["id"]).values(failures=S.c.failures + 1))
                await mark_failed(session, row, str(exc), True, self.settings.webhook_max_attempts, self.settings)
                if failures >= self.settings.webhook_disable_after:
                    await handlers.disable_webhook(session, self.settings, sub["id"])
        else:
            async with self.db.transaction() as session:
                await mark_sent(session, row)
                await session.execute(update(S).where(S.c.id == sub["id"]).values(failures=0))


async def webhook_sender(runtime) -> None:
    settings: NotificationsSettings = runtime.settings
    sender = WebhookSender(runtime.db, settings)
    try:
        await _loop("webhook sender", sender.step, settings.sender_poll_s)
    finally:
        await sender.client.aclose()


# --- daily digest and forgetting -----------------------------------------------------------------


async def make_digests(db: Database, settings: NotificationsSettings, now: datetime) -> int:
    """Bundle each daily subscriber's held mails into one digest (at most one per subscription and day)."""
    day = now.astimezone(BERLIN).date().isoformat()
    made = 0
    async with db.transaction() as session:
        held = (await session.execute(select(D).where(D.c.status == "held").order_by(D.c.created_at))).mappings().all()
        by_subscription: dict[str, list] = {}
        for row in held:
            by_subscription.setdefault(row["subscription_id"], []).append(row)
        for sid, rows in by_subscription.items():
            sub = (await session.execute(select(S).where(S.c.id == sid))).mappings().first()
            if sub is None or sub["status"] != "active":
                continue
            items = [{"summary": r["subject"], "time": r["created_at"]} for r in rows]
            unsubscribe_url = handlers.links(settings, sid)["unsubscribe_url"]
            made += await handlers.enqueue_mail(
                session,
                settings,
                event_id=f"digest:{rows[-1]['id']}",
                event_type="digest",
                template="digest",
                recipient=sub["address"],
                lang=sub["language"],
                context={"items": items, "day": day},
                subscription_id=sid,
                unsubscribe_url=unsubscribe_url,
            )
            await session.execute(update(D).where(D.c.id.in_([r["id"] for r in rows])).values(status="digested"))
        if made:
            wake.after_commit(session)
    return made


async def forget(db: Database, settings: NotificationsSettings, now: datetime) -> None:
    """Personal data is kept no longer than needed: old deliveries and used cancel links go."""
    async with db.transaction() as session:
        await session.execute(delete(models.registrant_links).where(models.registrant_links.c.forget_after < now))
        await session.execute(
            delete(D).where(
                D.c.created_at < now - timedelta(days=settings.keep_deliveries_days),
                or_(D.c.status == "sent", D.c.status == "dead", D.c.status == "digested"),
            )
        )


async def daily_jobs(runtime) -> None:
    settings: NotificationsSettings = runtime.settings
    last_digest_day = None
    while True:
        now = utcnow()
        local = now.astimezone(BERLIN)
        try:
            if local.hour >= settings.digest_hour and local.date() != last_digest_day:
                await make_digests(runtime.db, settings, now)
                await forget(runtime.db, settings, now)
                last_digest_day = local.date()
        except Exception:
            log.exception("daily jobs failed")
        await asyncio.sleep(60)
