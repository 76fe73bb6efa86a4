"""Use cases of the senders and of the operators' delivery log: claim due deliveries, mark them
sent or failed (with their events), replay a dead one, bundle the daily digest, forget old data.

A sender claims due rows (status pending, or sending with an expired lease after a crash), marks
them `sending` with a lease and counts the attempt in the same transaction, sends, and then marks
the accepted rows sent (plus a notifications.delivery.sent event each) or schedules the retry.
Several instances never send one row twice: a claim is a conditional update (SKIP LOCKED on
PostgreSQL)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.notifications import domain, models, privacy
from services.notifications.config import NotificationsSettings
from services.notifications.delivery_rules import backoff
from services.notifications.domain_public import hide_addresses
from services.notifications.handlers_fanout import mail_row
from services.notifications.mailer import BERLIN
from services.notifications.repository import SqlRepository, rowcount, subscription_of
from shared.catalog import DeliveryFailed, DeliverySent
from shared.db import Database
from shared.envelope import utcnow
from shared.errors import Conflict, NotFound
from shared.outbox import add_event, add_events
from shared.sqlite_connection import WRITES, defer_writes_until_commit

log = logging.getLogger("hallobot.notifications.deliveries")
D, S = models.deliveries, models.subscriptions

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
    # the cancel link's token is not kept once the server has the mail (mailer.CANCEL_LINK)
    .values(status="sent", sent_at=bindparam("sent_at"), last_error=None, secret_link=None)
)


async def claim(db: Database, channel: str, limit: int, lease_s: float) -> list[dict[str, Any]]:
    now = utcnow()
    async with db.write_connection() as connection:  # Core: the ORM session cost more than the statements
        rows = (await connection.execute(_DUE, {"channel": channel, "now": now, "limit": limit})).mappings().all()
        if not rows:
            return []
        # One statement for the batch. The rows are ours for this transaction (locked with SKIP LOCKED
        # on PostgreSQL; on SQLite BEGIN IMMEDIATE holds the only write lock), so the same conditions
        # hold as in the SELECT; they are repeated as a guard.
        lease_until = now + timedelta(seconds=lease_s)
        # SQLite: the UPDATE goes to its thread with the COMMIT (it has the only write lock since BEGIN
        # IMMEDIATE, so its count is known); PostgreSQL counts the rows it took, as a guard.
        counted = not await defer_writes_until_commit(connection, WRITES)
        result = await connection.execute(
            _TAKE, {"ids": [row["id"] for row in rows], "now": now, "lease_until": lease_until}
        )
        if counted and (taken := rowcount(result)) != len(rows):  # never send what we do not own
            raise RuntimeError(f"claimed {taken} of {len(rows)} deliveries; trying again")
        # `lease_until`: after it another sender may claim the row again; the sender stops before that
        return [dict(row) | {"attempts": row["attempts"] + 1, "lease_until": lease_until} for row in rows]


async def mark_sent_many(session: AsyncSession | AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Rows the server accepted: one UPDATE and one multi-row outbox INSERT for all of them. The mail
    sender passes a Core connection (`Database.write_connection(stages_outbox=True)`): a mark runs
    between two mails of a connection, and the ORM session took most of its time."""
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


async def _dead(session: AsyncSession, row: dict[str, Any], reason: str) -> None:
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


async def mark_failed(
    session: AsyncSession,
    row: dict[str, Any],
    reason: str,
    retry: bool,
    max_attempts: int,
    settings: NotificationsSettings,
) -> bool:
    """Schedule the next try, or give up (dead, visible to operators); True when it is dead."""
    reason = hide_addresses(reason, row["recipient"])[:500]  # reasons are published: no addresses
    if retry and row["attempts"] < max_attempts:
        wait = backoff(row["attempts"], settings.backoff_base_s, settings.backoff_max_s)
        values: dict[str, Any] = {"status": "pending", "next_attempt_at": utcnow() + wait, "last_error": reason}
        await session.execute(update(D).where(D.c.id == row["id"]).values(values))
        return False
    await session.execute(update(D).where(D.c.id == row["id"]).values(status="dead", last_error=reason))
    await _dead(session, row, reason)
    log.warning("delivery dead", extra={"delivery_id": row["id"], "channel": row["channel"], "reason": reason})
    return True


async def disable_webhook(session: AsyncSession, subscription_id: str) -> int:
    """After persistent failure: the endpoint stops receiving; what was queued for it is dead (replayable).
    Returns how many deliveries that made dead."""
    reason = "endpoint disabled after persistent failure"
    await session.execute(update(S).where(S.c.id == subscription_id).values(status="disabled"))
    queued = D.c.subscription_id == subscription_id, D.c.status == "pending"
    dead = (await session.execute(select(D).where(*queued))).mappings().all()
    await session.execute(update(D).where(*queued).values(status="dead", last_error=reason))
    for row in dead:
        await _dead(session, dict(row), reason)
    return len(dead)


async def replay(session: AsyncSession, delivery_id: str) -> dict[str, Any]:
    row = (await session.execute(select(D).where(D.c.id == delivery_id))).mappings().first()
    if row is None:
        raise NotFound("no such delivery")
    if row["status"] != "dead":
        raise Conflict(f"only dead deliveries can be replayed; this one is {row['status']}")
    if row["last_error"] == "unsubscribed":
        raise Conflict("the recipient unsubscribed")
    values: dict[str, Any] = {"status": "pending", "attempts": 0, "next_attempt_at": utcnow(), "last_error": None}
    await session.execute(update(D).where(D.c.id == delivery_id).values(values))
    return dict(row) | values


async def make_digests(db: Database, settings: NotificationsSettings, now: datetime) -> int:
    """Bundle each daily subscriber's held mails into one digest (at most one per subscription and day)."""
    day = now.astimezone(BERLIN).date().isoformat()
    key = settings.secret_key.get_secret_value()
    async with db.transaction() as session:
        held = (await session.execute(select(D).where(D.c.status == "held").order_by(D.c.created_at))).mappings().all()
        by_subscription: dict[str, list[Any]] = {}
        for row in held:
            by_subscription.setdefault(row["subscription_id"], []).append(row)
        digests = []
        for sid, rows in by_subscription.items():
            found = (await session.execute(select(S).where(S.c.id == sid))).mappings().first()
            subscription = subscription_of(found) if found else None
            if subscription is None or not subscription.receives or not subscription.address:
                continue
            digests.append(
                mail_row(
                    settings,
                    event_id=f"digest:{rows[-1]['id']}",
                    event_type="digest",
                    template="digest",
                    recipient=subscription.address,
                    lang=subscription.language,
                    context={"items": [{"summary": r["subject"], "time": r["created_at"]} for r in rows], "day": day},
                    subscription_id=sid,
                    unsubscribe_url=domain.unsubscribe_url(key, settings.site_url, sid, subscription.language),
                )
            )
            await session.execute(update(D).where(D.c.id.in_([r["id"] for r in rows])).values(status="digested"))
        return await SqlRepository(session).stage(digests)


async def forget(db: Database, settings: NotificationsSettings, now: datetime) -> None:
    """Personal data is kept no longer than needed: old deliveries and used cancel links go,
    unconfirmed subscriptions after a week, unsubscribed addresses become hashes (privacy.py)."""
    async with db.transaction() as session:
        key = settings.secret_key.get_secret_value()
        await privacy.forget_subscribers(session, now, key, settings.confirmation_link_days)
        await session.execute(delete(models.registrant_links).where(models.registrant_links.c.forget_after < now))
        await session.execute(
            delete(D).where(
                D.c.created_at < now - timedelta(days=settings.keep_deliveries_days),
                D.c.status.in_(("sent", "dead", "digested")),
            )
        )
