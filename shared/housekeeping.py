"""Keeps the outbox and inbox tables small: old published rows and old claims are deleted.

Outbox rows are kept a week after publication (well past the 1 h dedup window, handy when looking
into an incident); inbox claims a month (redeliveries come within minutes, replays use their own
consumer names).
The newest outbox row always stays: SQLite gives a new row the highest seq plus one, and the relay
reads on from the last seq it published, so a seq must never be handed out twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, and_, delete, func, or_, select

from shared.db import Database
from shared.envelope import utcnow

log = logging.getLogger("hallobot.housekeeping")
OUTBOX_KEEP = timedelta(days=7)
INBOX_KEEP = timedelta(days=30)


async def purge_once(db: Database, outbox: Table, inbox: Table) -> tuple[int, int]:
    now = utcnow()
    c = outbox.c
    # No index on published_at (the relay's marks would have to write one entry per row): rows
    # are published in about seq order, so the old ones lie at the start of the primary key.
    # Walk it up to the first row that stays (waiting, or published within the week; a parked row
    # stays but does not stop the walk); a row published long ago behind that bound goes an hour later.
    first_kept = (
        select(c.seq)
        .where(or_(and_(c.published_at.is_(None), c.parked_at.is_(None)), c.published_at >= now - OUTBOX_KEEP))
        .order_by(c.seq)
        .limit(1)
        .scalar_subquery()
    )
    newest = select(func.max(c.seq)).scalar_subquery()
    async with db.transaction() as session:
        published = await session.execute(
            delete(outbox).where(
                c.seq < func.coalesce(first_kept, newest),
                c.published_at.is_not(None),
                c.published_at < now - OUTBOX_KEEP,
            )
        )
        claims = await session.execute(delete(inbox).where(inbox.c.processed_at < now - INBOX_KEEP))
    return cast("CursorResult[Any]", published).rowcount, cast("CursorResult[Any]", claims).rowcount


async def keep_tidy(db: Database, outbox: Table, inbox: Table, every_s: float = 3600) -> None:
    while True:
        try:
            removed = await purge_once(db, outbox, inbox)
            if any(removed):
                log.info("purged old outbox rows and inbox claims", extra={"removed": removed})
        except Exception as exc:  # a busy database now is fine an hour later
            log.warning("housekeeping failed", extra={"error": repr(exc)})
        await asyncio.sleep(every_s)
