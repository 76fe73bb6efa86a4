"""The outbox relay: publishes committed outbox rows to JetStream, in order, exactly once.

- Order: rows are published one after another in `seq` order and the relay stops at the first
  failure, so the stream never holds a later row before an earlier one.
- Exactly once: each message carries `Nats-Msg-Id` = event id; a row published but not yet marked
  (crash in between) is re-published on restart and the server drops the copy (dedup window).
- Several relays on one PostgreSQL database: a transaction-scoped advisory lock lets one relay
  work at a time; the others find it taken and wait. On SQLite a service runs one relay per file.
- Wake-up: `wake()` is called right after a commit that staged events; a slow poll remains as a
  safety net for rows written by other processes.
- SQLite: one writer at a time, so rows commit in `seq` order and the relay reads on from the last
  seq it published (a primary-key range, however many rows wait to be marked). It marks what it
  published in one range UPDATE per `mark_delay` or `batch_size` rows instead of one write
  transaction per round: a round that carries a single row (a mail marked sent) then costs a read
  and a publish. A crash before the mark re-publishes those rows on restart, and the server drops
  the copies (Nats-Msg-Id, within the stream's dedup window). Housekeeping never deletes the newest
  row, so SQLite never hands out a seq the relay has already passed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable

from nats.js import JetStreamContext
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import Database
from shared.envelope import CONTENT_TYPE, utcnow
from shared.metrics import OUTBOX_DUPLICATES, OUTBOX_PENDING, OUTBOX_PUBLISH_ERRORS, OUTBOX_PUBLISHED

log = logging.getLogger("hallobot.relay")


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        table: Table,
        jetstream: Callable[[], JetStreamContext],
        *,
        service: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        publish_timeout: float = 2.0,
        max_backoff: float = 2.0,
        mark_delay: float = 0.2,
    ) -> None:
        self.db, self.table, self.jetstream, self.service = db, table, jetstream, service
        self.batch_size, self.poll_interval = batch_size, poll_interval
        self.publish_timeout, self.max_backoff = publish_timeout, max_backoff
        self.mark_delay = mark_delay
        self._lock_key = zlib.crc32(f"hallobot.outbox.{service}".encode())
        # Built once: building the statements anew each round cost more CPU than running them
        # when rounds carry a row or two (a mail marked sent is one row).
        self._select_pending = (
            select(table.c.seq, table.c.event_id, table.c.subject, table.c.payload)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.seq)
            .limit(batch_size)
        )
        self._mark_published = (
            update(table)
            .where(table.c.seq.in_(bindparam("seqs", expanding=True)))
            .values(published_at=bindparam("published_at", type_=table.c.published_at.type))
        )
        self._try_lock = select(func.pg_try_advisory_xact_lock(self._lock_key))
        # SQLite: read on from the last published seq; mark published rows as one seq range.
        self._select_after = self._select_pending.where(table.c.seq > bindparam("after"))
        self._mark_range = (
            update(table)
            .where(table.c.seq > bindparam("after"), table.c.seq <= bindparam("upto"), table.c.published_at.is_(None))
            .values(published_at=bindparam("published_at", type_=table.c.published_at.type))
        )
        self._published_upto = 0  # SQLite: every row up to this seq is published...
        self._marked_upto = 0  # ...and every row up to this one is marked so
        self._unmarked_since: float | None = None  # when the oldest unmarked publication happened
        self._wake = asyncio.Event()
        self._stopping = False
        db.on_outbox_commit(self.wake)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.05
        try:
            while not self._stopping:
                self._wake.clear()  # before reading: a commit from now on wakes the next round
                try:
                    published, complete = await self._publish_round()
                    if self._marks_due():
                        await self.mark_published()
                except Exception as exc:  # database or broker down: keep the rows, try again
                    OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
                    log.warning("relay round failed, retrying", extra={"error": repr(exc), "backoff_s": backoff})
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                if not complete:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                backoff = 0.05
                if published >= self.batch_size:
                    continue
                await self._wait_for_work()
        finally:
            await self._mark_before_stopping()

    async def _wait_for_work(self) -> None:
        """Until a commit wakes the relay, the poll comes round or unmarked rows are due."""
        timeout = self.poll_interval
        if self._unmarked_since is not None:
            timeout = min(timeout, max(0.0, self._unmarked_since + self.mark_delay - time.monotonic()))
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            if self._marks_due():
                await self.mark_published()

    def _marks_due(self) -> bool:
        return self._unmarked_since is not None and (
            self._published_upto - self._marked_upto >= self.batch_size
            or time.monotonic() - self._unmarked_since >= self.mark_delay
            or self._stopping
        )

    async def _mark_before_stopping(self) -> None:
        if self._unmarked_since is None:
            return
        try:
            await self.mark_published()
        except Exception as exc:  # the rows are published; a restart publishes them again, deduplicated
            log.warning("could not mark published rows at stop", extra={"error": repr(exc)})

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def publish_pending(self) -> tuple[int, bool]:
        """Publish one batch and mark it; returns (rows published, whether every row of the batch went out)."""
        result = await self._publish_round()
        await self.mark_published()
        return result

    async def _publish_round(self) -> tuple[int, bool]:
        async with self.db.engine.connect() as conn:
            if self.db.is_sqlite:
                return await self._round_sqlite(conn)
            return await self._round_postgres(conn)

    async def mark_published(self) -> None:
        """SQLite: mark every row published so far (PostgreSQL marks within each round)."""
        upto = self._published_upto
        if upto > self._marked_upto:
            async with self.db.write_connection() as write:
                await write.execute(
                    self._mark_range, {"after": self._marked_upto, "upto": upto, "published_at": utcnow()}
                )
            self._marked_upto = upto
        if self._marked_upto == self._published_upto:
            self._unmarked_since = None

    async def _round_postgres(self, conn: AsyncConnection) -> tuple[int, bool]:
        async with conn.begin():
            if not await conn.scalar(self._try_lock):
                return 0, True  # another relay holds the lock and does the work
            rows = await self._pending(conn)
            done = await self._publish(rows)
            await self._mark(conn, done)
        return len(done), len(done) == len(rows)

    async def _round_sqlite(self, conn: AsyncConnection) -> tuple[int, bool]:
        # Read, then publish outside any write lock (so the service keeps writing); marking waits
        # for `mark_published`.
        conn = await conn.execution_options(readonly=True)
        async with conn.begin():
            rows = (await conn.execute(self._select_after, {"after": self._published_upto})).all()
        OUTBOX_PENDING.labels(self.service).set(len(rows))
        done = await self._publish(rows)
        if done:
            self._published_upto = done[-1]
            if self._unmarked_since is None:
                self._unmarked_since = time.monotonic()
        return len(done), len(done) == len(rows)

    async def _pending(self, conn: AsyncConnection):
        rows = (await conn.execute(self._select_pending)).all()
        OUTBOX_PENDING.labels(self.service).set(len(rows))
        return rows

    async def _publish(self, rows) -> list[int]:
        js = self.jetstream()
        done: list[int] = []
        for row in rows:
            headers = {"Nats-Msg-Id": row.event_id, "Content-Type": CONTENT_TYPE}
            try:
                ack = await js.publish(row.subject, row.payload, headers=headers, timeout=self.publish_timeout)
            except Exception as exc:
                OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
                log.warning("publish failed; will retry", extra={"event_id": row.event_id, "error": repr(exc)})
                break
            if ack.duplicate:
                OUTBOX_DUPLICATES.labels(self.service).inc()
            done.append(row.seq)
        OUTBOX_PUBLISHED.labels(self.service).inc(len(done))
        return done

    async def _mark(self, conn: AsyncConnection, seqs: list[int]) -> None:
        if seqs:
            await conn.execute(self._mark_published, {"seqs": seqs, "published_at": utcnow()})
