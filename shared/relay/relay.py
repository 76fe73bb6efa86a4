"""`OutboxRelay`: the publishing loop; what it guarantees is told in the package's docstring."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC
from typing import Any, TypeVar, cast

from nats.js import JetStreamContext
from sqlalchemy import Row, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import Database
from shared.envelope import CONTENT_TYPE, utcnow
from shared.metrics import (
    OUTBOX_DUPLICATES,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PENDING,
    OUTBOX_PUBLISH_ERRORS,
    OUTBOX_PUBLISHED,
)
from shared.relay.acks import AckInbox, duplicate
from shared.relay.parking import never_publishable, park, parked
from shared.relay.statements import RelayStatements
from shared.retry import Backoff, retrying
from shared.streams import stream_for_subject
from shared.tracing import enabled as tracing_enabled
from shared.tracing import publish_span

log = logging.getLogger("hallobot.relay")
A = TypeVar("A")
B = TypeVar("B")

EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
BATCHES_PER_ROUND = 4  # a round's batches; the database's work for the next overlaps the publishing
# Rows read at once and, by default, in flight at once: a batch waits for the last PubAck of its window
# before the next goes out, so the broker idles once per window (bench/README.md, relay.py: 2,000 instead
# of 500 took the relay from 0.72–0.80 to 0.85–0.90 of raw pipelined publishing on SQLite).
BATCH_SIZE = WINDOW = 2000


@functools.lru_cache(maxsize=4096)
def _stream_of(subject: str) -> str | None:
    """The declared stream that holds `subject`, None for a subject of no declared stream."""
    try:
        return stream_for_subject(subject)
    except ValueError:
        return None


async def _both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Both results; if one fails, the error once the other has finished too (never an orphan
    publishing task beside the next round's)."""
    a, b = await asyncio.gather(first, second, return_exceptions=True)
    for outcome in (a, b):
        if isinstance(outcome, BaseException):
            raise outcome
    return cast(A, a), cast(B, b)


class RoundIncomplete(Exception):
    """A round published some rows, then a publish failed: the rest waits for the next round."""


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        table: Table,
        jetstream: Callable[[], JetStreamContext],
        *,
        service: str,
        batch_size: int = BATCH_SIZE,
        poll_interval: float = 1.0,
        publish_timeout: float = 2.0,
        max_backoff: float = 2.0,
        mark_delay: float = 0.2,
        window: int = WINDOW,
    ) -> None:
        self.db, self.table, self.jetstream, self.service = db, table, jetstream, service
        self.batch_size, self.poll_interval = batch_size, poll_interval
        self.publish_timeout, self.max_backoff = publish_timeout, max_backoff
        self.mark_delay = mark_delay
        self.window = max(1, window)  # rows in flight at once; 1: each PubAck before the next publish
        self._acks = AckInbox()
        self._sql = RelayStatements(table, batch_size, zlib.crc32(f"hallobot.outbox.{service}".encode()))
        self._published_upto = 0  # SQLite: every row up to this seq is published...
        self._marked_upto = 0  # ...and every row up to this one is marked so
        self._unmarked_since: float | None = None  # when the oldest unmarked publication happened
        self._wake = asyncio.Event()
        self._stopping = False
        db.on_outbox_commit(self.wake)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            while not self._stopping:
                self._wake.clear()  # before reading: a commit from now on wakes the next round
                try:
                    published = await self._round()
                except Exception as exc:  # database or broker down: keep the rows, try again
                    self._failed(exc)
                    published = await self._round_when_back()
                if published >= self.batch_size:
                    continue
                await self._wait_for_work()
        finally:
            await self._mark_before_stopping()
            await self._acks.close()

    async def _round(self) -> int:
        """Publish what waits and mark it when due; RoundIncomplete when a publish failed."""
        published, complete = await self._publish_round()
        if self._marks_due():
            await self.mark_published()
        if not complete:
            raise RoundIncomplete(f"{published} row(s) published, then a publish failed")
        return published

    async def _round_when_back(self) -> int:
        """Rounds with a growing pause until one goes through (or the relay stops)."""
        backoff = Backoff(first_s=0.05, max_s=self.max_backoff)
        async for attempt in retrying(backoff, on=Exception, log=log, what="relay round"):
            with attempt:
                if self._stopping:
                    return 0
                try:
                    return await self._round()
                except Exception as exc:
                    self._failed(exc)
                    raise
        return 0  # not reached: retrying stops only by raising

    def _failed(self, exc: Exception) -> None:
        if not isinstance(exc, RoundIncomplete):  # a failed publish is counted where it happens
            OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()

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
        """One round (up to four batches), marked; (rows published, whether every row read went out)."""
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
                    self._sql.mark_range, {"after": self._marked_upto, "upto": upto, "published_at": utcnow()}
                )
            self._marked_upto = upto
        if self._marked_upto == self._published_upto:
            self._unmarked_since = None

    async def _round_postgres(self, conn: AsyncConnection) -> tuple[int, bool]:
        """Up to `BATCHES_PER_ROUND` batches under one advisory lock and transaction. While a
        batch is published, the database marks the batch before it and reads the one after it
        (one connection, used by that one task), so its round trips overlap the publishing."""
        async with conn.begin():
            if not await conn.scalar(self._sql.try_lock):  # the lock's column; the other sets the commit
                # Another relay holds the lock and does the work (and reports the backlog): take the
                # largest value over the instances.
                OUTBOX_PENDING.labels(self.service).set(0)
                OUTBOX_OLDEST_AGE.labels(self.service).set(0)
                return 0, True
            rows = await self._pending(conn)
            if not rows:
                self._note_backlog(rows)
                return 0, True
            published, marked_before = 0, list[int]()
            for batch in range(BATCHES_PER_ROUND):
                more = batch + 1 < BATCHES_PER_ROUND and len(rows) == self.batch_size
                (done, set_aside), following = await _both(
                    self._publish(rows), self._mark_and_read(conn, marked_before, rows[-1].seq if more else None)
                )
                await park(conn, self._sql, set_aside)
                published += len(done)
                if len(done) + len(set_aside) < len(rows):
                    await self._mark(conn, done)
                    return published, False
                marked_before = done
                if not following:
                    break
                rows = following
            await self._mark(conn, marked_before)
        return published, True

    async def _mark_and_read(self, conn: AsyncConnection, seqs: list[int], after: int | None) -> Sequence[Row[Any]]:
        """Mark the batch published before; then the batch after `after` (None: none this round)."""
        await self._mark(conn, seqs)
        if after is None:
            return []
        rows: Sequence[Row[Any]] = (await conn.execute(self._sql.select_after, {"after": after})).all()
        return rows

    async def _round_sqlite(self, conn: AsyncConnection) -> tuple[int, bool]:
        # Read, then publish outside any write lock (so the service keeps writing); marking waits
        # for `mark_published`. Up to `BATCHES_PER_ROUND` batches: the next one is read while one
        # is published (the read runs in the database's thread).
        conn = await conn.execution_options(readonly=True)
        rows = await self._read_after(conn, self._published_upto)
        if not rows:
            self._note_backlog(rows)
        published = 0
        for batch in range(BATCHES_PER_ROUND):
            if not rows:
                break
            more = batch + 1 < BATCHES_PER_ROUND and len(rows) == self.batch_size
            (done, set_aside), following = await _both(
                self._publish(rows), self._read_after(conn, rows[-1].seq if more else None)
            )
            if set_aside:  # rare: written at once, so that the range mark after it passes these rows by
                async with self.db.write_connection() as write:
                    await park(write, self._sql, set_aside)
            handled = max(done[-1] if done else 0, set_aside[-1][0] if set_aside else 0)
            if handled:
                self._published_upto = handled
            if done and self._unmarked_since is None:
                self._unmarked_since = time.monotonic()
            published += len(done)
            if len(done) + len(set_aside) < len(rows):
                return published, False
            rows = following
        return published, True

    async def _read_after(self, conn: AsyncConnection, after: int | None) -> Sequence[Row[Any]]:
        """SQLite: the batch after seq `after` (None: none), in a read transaction of its own."""
        if after is None:
            return []
        async with conn.begin():
            rows: Sequence[Row[Any]] = (await conn.execute(self._sql.select_after, {"after": after})).all()
        return rows

    async def _pending(self, conn: AsyncConnection) -> Sequence[Row[Any]]:
        rows: Sequence[Row[Any]] = (await conn.execute(self._sql.select_pending)).all()
        return rows

    async def _publish(self, rows: Sequence[Row[Any]]) -> tuple[list[int], list[tuple[int, str]]]:
        """(seqs published, (seq, reason) of rows to park): in order, up to the first failure that
        another try may mend; a row that can never be published is set aside and the next one goes.
        Rows go out in windows of `window` without waiting for each PubAck (`_publish_window`)."""
        js = self.jetstream()
        done: list[int] = []
        set_aside: list[tuple[int, str]] = []
        start = 0
        while start < len(rows):
            taken, complete = await self._publish_window(js, rows[start : start + self.window], done, set_aside)
            if not complete:
                break
            start += taken
        OUTBOX_PUBLISHED.labels(self.service).inc(len(done))
        self._note_backlog(rows[len(done) + len(set_aside) :])
        return done, set_aside

    def _note_backlog(self, waiting: Sequence[Row[Any]]) -> None:
        """The rows of the last batch left unpublished (rows go out in order, up to the first failure)
        and the age of the oldest: it grows while the broker is away or the relay is stuck, and both
        are 0 when all went out."""
        OUTBOX_PENDING.labels(self.service).set(len(waiting))
        age = 0.0
        if waiting:
            created = waiting[0].created_at
            created = created if created.tzinfo else created.replace(tzinfo=UTC)  # SQLite gives naive UTC
            age = max(0.0, (utcnow() - created).total_seconds())
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)

    async def _publish_window(
        self, js: JetStreamContext, rows: Sequence[Row[Any]], done: list[int], set_aside: list[tuple[int, str]]
    ) -> tuple[int, bool]:
        """Publish `rows` without waiting for each PubAck, then read the PubAcks in row order.

        Order per stream: a row whose predecessor on its stream is still in flight carries
        `Nats-Expected-Last-Msg-Id` = that predecessor's id, so if the predecessor did not land (lost
        with a connection, refused, timed out before storing) the server refuses this row instead
        of storing it first. The first row of a stream in a window carries none: every earlier row
        of that stream is acknowledged. Rows after the first failure that another try may mend are
        given up for this round (even those acknowledged: the next round publishes them again and
        the dedup window drops the copies; it is checked before the expected last id).
        Returns (rows taken from `rows`, whether all of them were handled)."""
        sent: list[tuple[Row[Any], str | Exception]] = []  # a row and its token, or why it was not sent
        in_flight: dict[str, str] = {}  # stream -> id of its last row in flight in this window
        for row in rows:
            stream = _stream_of(row.subject)
            if stream is None and sent:
                break  # a subject of no declared stream goes out alone: nothing to chain it to
            headers = {"Nats-Msg-Id": row.event_id, "Content-Type": CONTENT_TYPE}
            if stream is not None and stream in in_flight:
                headers[EXPECTED_LAST_MSG_ID] = in_flight[stream]
            try:
                if tracing_enabled():  # a "publish" span; its context goes along as the header traceparent
                    with publish_span(row.subject, row.event_id, row.payload, headers):
                        sent.append((row, await self._acks.send(js, row.subject, row.payload, headers)))
                else:
                    sent.append((row, await self._acks.send(js, row.subject, row.payload, headers)))
            except Exception as exc:  # not sent (too large, bad subject, connection closed)
                sent.append((row, exc))
                if never_publishable(exc, row) is None:
                    break
                continue  # never left: the next row of its stream keeps the same predecessor
            if stream is None:
                break
            in_flight[stream] = row.event_id
        answers = await self._acks.collect(self.publish_timeout)  # what has no answer by now counts as failed
        for row, outcome in sent:
            try:
                if isinstance(outcome, Exception):
                    raise outcome
                answer = answers.get(outcome)
                if answer is None:
                    raise TimeoutError(f"no PubAck within {self.publish_timeout} s")
                was_copy = duplicate(answer)
            except Exception as exc:
                reason = never_publishable(exc, row)
                if reason is not None:
                    set_aside.append(parked(self.service, row, reason))
                    continue
                OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
                log.warning("publish failed; will retry", extra={"event_id": row.event_id, "error": repr(exc)})
                return len(sent), False
            if was_copy:
                OUTBOX_DUPLICATES.labels(self.service).inc()
            done.append(row.seq)
        return len(sent), True

    async def _mark(self, conn: AsyncConnection, seqs: Sequence[int]) -> None:
        if seqs:
            await conn.execute(self._sql.mark_listed, {"seq_list": seqs, "published_at": utcnow()})
