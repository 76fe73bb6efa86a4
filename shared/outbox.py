"""Transactional outbox: events are rows written in the same transaction as the state change."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, LargeBinary, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.catalog import EventData
from shared.console.actor import current_actor
from shared.envelope import CloudEvent
from shared.tracing import carrier, enabled

OUTBOX_TABLE = "outbox"
# Set on a session that staged events, so that Database wakes the relay right after the commit.
OUTBOX_WRITTEN = "hallobot_outbox_written"
PARK_REASON_MAX = 500


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
        Column("published_at", DateTime(timezone=True), nullable=True, index=True),
        # A row that can never be published (larger than the broker's max payload, refused by the
        # stream for good) is parked with its reason; the relay goes on with the rows behind it.
        Column("parked_at", DateTime(timezone=True), nullable=True),
        Column("park_reason", String(PARK_REASON_MAX), nullable=True),
    )


def _with_actor(event: CloudEvent) -> CloudEvent:
    """The operator who made the change (shared/console/actor.py), as the CloudEvents extension
    attribute `actor`: an account id or `bootstrap`, never an email. Consumers and jobs set none.
    With traces on (shared/tracing.py), the current span's context as the distributed-tracing
    extension attributes `traceparent` and `tracestate`: the relay runs later, in another task."""
    extensions: dict[str, str] = carrier() if enabled() else {}
    if actor := current_actor():
        extensions["actor"] = actor
    return event.model_copy(update=extensions) if extensions else event


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


async def add_events(
    session: AsyncSession | AsyncConnection, table: Table, payloads: list[EventData]
) -> list[CloudEvent]:
    """Stage several events with one multi-row INSERT (in this order). On a Core connection
    (`Database.write_connection(stages_outbox=True)`) the caller's transaction wakes the relay."""
    if not payloads:
        return []
    events = [_with_actor(data.to_event()) for data in payloads]
    await session.execute(
        table.insert(),
        [
            {"event_id": e.id, "subject": d.nats_subject(), "payload": e.to_json(), "created_at": e.time}
            for e, d in zip(events, payloads, strict=True)
        ],
    )
    if isinstance(session, AsyncSession):  # a connection's `info` outlives the transaction: not there
        session.info[OUTBOX_WRITTEN] = True
    return events
