"""Transactional outbox: events are rows written in the same transaction as the state change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Insert,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.catalog import EventData
from shared.console.actor import current_actor
from shared.envelope import CloudEvent
from shared.sqlite_connection import defer_writes_until_commit
from shared.tracing import carrier, enabled

OUTBOX_TABLE = "outbox"
PENDING_INDEX = "ix_outbox_pending"
# The rows that wait for the relay. A partial index: it holds only those, so finding them stays cheap
# however many published rows the week of history holds, and marking a row removes its entry
# instead of adding one (as a full index on published_at did: one more index write per row).
PENDING = "published_at IS NULL AND parked_at IS NULL"
# Set on a session that staged events, so that Database wakes the relay right after the commit.
OUTBOX_WRITTEN = "hallobot_outbox_written"
PARK_REASON_MAX = 500
# What staging writes into a row (the rest is the relay's).
STAGED_COLUMNS = ("event_id", "subject", "payload", "created_at")


def outbox_table(metadata: MetaData) -> Table:
    """Add the outbox table to a service's metadata (each service owns its own)."""
    return Table(
        OUTBOX_TABLE,
        metadata,
        # seq orders publication: rows are published strictly in insertion order
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        # A row that can never be published (larger than the broker's max payload, refused by the
        # stream for good) is parked with its reason; the relay goes on with the rows behind it.
        Column("parked_at", DateTime(timezone=True), nullable=True),
        Column("park_reason", String(PARK_REASON_MAX), nullable=True),
        Index(PENDING_INDEX, "seq", postgresql_where=text(PENDING), sqlite_where=text(PENDING)),
    )


def origin() -> dict[str, str]:
    """What an event staged here and now carries from where it was caused, as CloudEvents extension
    attributes: the operator who made the change (shared/console/actor.py) as `actor`, an account id or
    `bootstrap`, never an email (consumers and jobs set none); with traces on (shared/tracing.py), the
    current span's context as `traceparent` and `tracestate` (the relay runs later, in another task).
    Taken in a request for the events that another task stages on its behalf (the events service's
    registration desk decides the registrations of many requests in one transaction)."""
    extensions: dict[str, str] = carrier() if enabled() else {}
    if actor := current_actor():
        extensions["actor"] = actor
    return extensions


def _with_origin(event: CloudEvent, extensions: Mapping[str, str]) -> CloudEvent:
    return event.model_copy(update=extensions) if extensions else event


def _with_actor(event: CloudEvent) -> CloudEvent:
    """`event` with the origin of the current context (`origin`)."""
    return _with_origin(event, origin())


async def add_event(session: AsyncSession, table: Table, data: EventData, *, event_id: str | None = None) -> CloudEvent:
    """Stage one catalog event in the caller's transaction; the relay publishes it after commit."""
    event = _with_actor(data.to_event(event_id))
    await session.execute(
        table.insert().values(
            event_id=event.id, subject=data.nats_subject(), payload=event.to_json(), created_at=event.time
        )
    )
    session.info[OUTBOX_WRITTEN] = True
    return event


def _staged_rows(
    payloads: list[EventData], origins: Sequence[Mapping[str, str]] | None = None
) -> tuple[list[CloudEvent], list[dict[str, Any]]]:
    if origins is None:  # all staged here and now: one origin for all, taken once
        origins = [origin()] * len(payloads)
    events = [_with_origin(data.to_event(), found) for data, found in zip(payloads, origins, strict=True)]
    rows = [
        {"event_id": e.id, "subject": d.nats_subject(), "payload": e.to_json(), "created_at": e.time}
        for e, d in zip(events, payloads, strict=True)
    ]
    return events, rows


async def add_events(
    session: AsyncSession | AsyncConnection, table: Table, payloads: list[EventData]
) -> list[CloudEvent]:
    """Stage several events with one multi-row INSERT (in this order). On a Core connection
    (`Database.write_connection(stages_outbox=True)`) the caller's transaction wakes the relay."""
    if not payloads:
        return []
    events, rows = _staged_rows(payloads)
    await session.execute(table.insert(), rows)
    if isinstance(session, AsyncSession):  # a connection's `info` outlives the transaction: not there
        session.info[OUTBOX_WRITTEN] = True
    return events


@cache
def _change_and_staging(table: Table, change: Insert, rows: int) -> Insert:
    """`change` as a data-modifying WITH in front of the outbox INSERT of `rows` rows, whose bind
    parameters are `outbox_<i>_<column>`. Built once per shape, and as INSERT … SELECT rather than a
    multi-row VALUES, which SQLAlchemy compiles again for every execution (it has no cache key);
    ordered by position, so that the rows' seq keep the order of the events."""
    staged = union_all(
        *(
            select(
                literal_column(str(i)).label("position"),
                *(bindparam(f"outbox_{i}_{name}", type_=table.c[name].type).label(name) for name in STAGED_COLUMNS),
            )
            for i in range(rows)
        )
    ).subquery("staged")
    in_order = select(*(staged.c[name] for name in STAGED_COLUMNS)).order_by(staged.c.position)
    return table.insert().from_select(STAGED_COLUMNS, in_order).add_cte(change.cte("state_change"))


async def add_events_with(
    session: AsyncSession,
    table: Table,
    change: Insert,
    parameters: dict[str, Any] | list[dict[str, Any]],
    payloads: list[EventData],
    origins: Sequence[Mapping[str, str]] | None = None,
) -> list[CloudEvent]:
    """Make the state change `change` (an INSERT built once with bind parameters, run with `parameters`)
    and stage `payloads` in one statement: a single round trip where a hot path holds a row lock.
    PostgreSQL runs both in one statement (a data-modifying WITH); SQLite, which has none, runs two,
    handed to its thread together with the COMMIT (`defer_writes_until_commit`), and there
    `parameters` may be a list of rows (executemany). The bind parameters of `change` must be named
    neither `outbox_…` nor like a column of the outbox (SQLAlchemy would take them for the outbox
    row's values). `origins`: one per payload, what it carries (`origin`; None: the current one)."""
    connection = await session.connection()
    if not payloads:
        await connection.execute(change, parameters)
        return []
    events, rows = _staged_rows(payloads, origins)
    if connection.dialect.name == "postgresql":
        if not isinstance(parameters, dict):
            raise TypeError("one statement on PostgreSQL: `change` with one set of parameters")
        staged = {f"outbox_{i}_{name}": value for i, row in enumerate(rows) for name, value in row.items()}
        await connection.execute(_change_and_staging(table, change, len(rows)), {**parameters, **staged})
    else:  # SQLite has no data-modifying WITH: two INSERTs, handed to its thread with the COMMIT
        await defer_writes_until_commit(connection)
        await connection.execute(change, parameters)
        await connection.execute(table.insert(), rows)
    session.info[OUTBOX_WRITTEN] = True
    return events
