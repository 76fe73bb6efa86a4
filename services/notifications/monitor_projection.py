"""The impact monitor's projection: its own durable consumers on the public streams
(`notifications-monitor-<stream>`) write the monitor_* tables (models_monitor.py), a fetched batch in
one transaction with its inbox claims.

A rebuild (monitor_rebuild.py) counts the projection's generation up, empties the tables and deletes
the consumers; every instance's projector (`Projector`, a background job) then starts its consumers
again for the new generation, and they read the streams from their start. A batch handled for an older
generation writes nothing and is handed back (`StaleGeneration`, retried after the usual delay), so an
instance that has not noticed the rebuild yet cannot acknowledge a message of the new consumers
without its effects. The names stay the same across generations, so deploy/'s NATS permissions can
name each consumer."""

from __future__ import annotations

from typing import Any

from nats.aio.msg import Msg
from pydantic import ValidationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from services.notifications import models_monitor as m
from services.notifications.monitor_effects import Effects
from shared.consumer import Delivery, MalformedMessage, Subscription
from shared.consumer.delivery import short_reason
from shared.db import dialect_insert
from shared.envelope import CloudEvent

PREFIX = "notifications-monitor-"
STREAMS = (
    ("directory", "DIRECTORY", "hallobot.directory.>"),
    ("events", "EVENTS", "hallobot.events.>"),
    ("wifi", "WIFI", "hallobot.wifi.hotspot.>"),
    ("fairtrade", "FAIRTRADE", "hallobot.fairtrade.>"),
    ("deliveries", "NOTIFICATIONS", "hallobot.notifications.>"),
)
BATCH = 500  # large batches: a rebuild replays years of events


class StaleGeneration(Exception):
    """A rebuild began after this instance started its consumers: hand the batch back."""


def consumer_name(part: str) -> str:
    return f"{PREFIX}{part}"


def decode_envelope(msg: Msg) -> Delivery:
    """The envelope only: the data is read by name (a tolerant reader; the fan-out consumers already
    hold every payload to the catalog), so a type this service does not know yet is no dead letter."""
    try:
        event = CloudEvent.model_validate_json(msg.data)
    except (ValidationError, ValueError) as exc:
        raise MalformedMessage(short_reason(exc)) from exc
    return Delivery(event.id, msg.subject, event.data, event)


async def generation(session: AsyncSession) -> int:
    return int((await session.execute(select(m.state.c.generation).where(m.state.c.id == 1))).scalar_one())


async def still_current(session: AsyncSession, generation: int) -> bool:
    """Is `generation` the projection's? A no-op update, so that on PostgreSQL the row stays locked
    until the batch commits and a rebuild waits for it (on SQLite writers take turns anyway)."""
    result = await session.execute(
        update(m.state).where(m.state.c.id == 1, m.state.c.generation == generation).values(generation=generation)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def subscriptions(generation_now: int) -> list[Subscription]:
    async def project(session: AsyncSession, deliveries: list[Delivery]) -> None:
        if not await still_current(session, generation_now):
            raise StaleGeneration(f"the projection is at a newer generation than {generation_now}")
        effects = Effects()
        for delivery in deliveries:
            assert delivery.event is not None
            effects.add(delivery.event)
        await write(session, effects)

    return [
        Subscription(
            name=consumer_name(part),
            stream=stream,
            subject=subject,
            batch_handler=project,
            decode=decode_envelope,
            batch_size=BATCH,
            description=f"{stream} events into the impact monitor and the audit trail",
        )
        for part, stream, subject in STREAMS
    ]


async def write(session: AsyncSession, fx: Effects) -> None:
    """A batch's effects in a few statements per table (executemany)."""
    insert = dialect_insert(session)
    if fx.calendar:
        statement = insert(m.calendar)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["event_id"],
                set_={
                    "title": statement.excluded.title,
                    "series": statement.excluded.series,
                    "starts_at": statement.excluded.starts_at,
                },
            ),
            list(fx.calendar.values()),
        )
    if fx.hotspots:
        statement = insert(m.hotspots)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["hotspot_id"], set_={"site_name": statement.excluded.site_name}
            ),
            [{"hotspot_id": key, "site_name": name} for key, name in fx.hotspots.items()],
        )
    if fx.new_profiles:
        await session.execute(insert(m.profiles).on_conflict_do_nothing(), fx.new_profiles)
    if fx.new_registrations:
        await _insert_registrations(session, fx)
    p, r = m.profiles.c, m.registrations.c
    await _each(
        session,
        update(m.profiles).where(p.business_id == bindparam("id")).values(parts=p.parts.op("|")(bindparam("mask"))),
        fx.profile_parts,
    )
    await _each(
        session,
        update(m.profiles)
        .where(p.business_id == bindparam("id"), p.published_at.is_(None))
        .values(published_at=bindparam("at")),
        fx.published,
    )
    await _each(session, update(m.profiles).where(p.business_id == bindparam("id")).values(archived=True), fx.archived)
    await _each(
        session,
        update(m.registrations)
        .where(r.registration_id == bindparam("id"))
        .values(promoted_month=bindparam("promo_month")),
        fx.promoted,
    )
    await _each(
        session,
        update(m.registrations).where(r.registration_id == bindparam("id")).values(cancelled=True),
        fx.cancelled,
    )
    if fx.hotspot_changes:
        statement = insert(m.hotspot_changes)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["hotspot_id", "since"], set_={"status": statement.excluded.status}
            ),
            [{"hotspot_id": h, "since": since, "status": s} for (h, since), s in fx.hotspot_changes.items()],
        )
    if fx.criteria:
        await session.execute(insert(m.criteria).on_conflict_do_nothing(), fx.criteria)
    if fx.counts:
        statement = insert(m.counts)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["month", "figure", "key"], set_={"n": m.counts.c.n + statement.excluded.n}
            ),
            [{"month": mo, "figure": f, "key": k, "n": n} for (mo, f, k), n in fx.counts.items()],
        )
    if fx.audit:
        await session.execute(insert(m.audit).on_conflict_do_nothing(), fx.audit)


async def _insert_registrations(session: AsyncSession, fx: Effects) -> None:
    """With each registration its event's series, from this batch or the calendar heard before."""
    wanted = {row["event_id"] for row in fx.new_registrations} - fx.calendar.keys()
    series = {key: value["series"] for key, value in fx.calendar.items()}
    if wanted:
        rows = await session.execute(
            select(m.calendar.c.event_id, m.calendar.c.series).where(m.calendar.c.event_id.in_(wanted))
        )
        series |= dict(rows.tuples().all())
    rows_in = [{**row, "series": series.get(row["event_id"])} for row in fx.new_registrations]
    await session.execute(dialect_insert(session)(m.registrations).on_conflict_do_nothing(), rows_in)


async def _each(session: AsyncSession, statement: Executable, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(statement, rows)
