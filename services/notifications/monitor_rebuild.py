"""Rebuilding the impact monitor from the streams, and the projector that follows each rebuild.

`rebuild` counts the projection's generation up, empties its tables and its consumers' inbox claims
in one transaction, then deletes the durable consumers. Every instance's `Projector` notices the new
generation (at once where the rebuild ran, within `check_every_s` elsewhere) and starts its consumers
again; the first to start creates them anew, and they read each stream from its first message. Run by
`POST /monitor/rebuild` (operator) and `hallobot monitor rebuild`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import delete, update

from services.notifications import models, models_monitor
from services.notifications.monitor_projection import PREFIX, STREAMS, consumer_name, generation, subscriptions
from shared.consumer import ConsumerGroup
from shared.db import Database
from shared.envelope import utcnow

log = logging.getLogger("hallobot.monitor")
PROJECTION = (
    models_monitor.profiles,
    models_monitor.calendar,
    models_monitor.registrations,
    models_monitor.hotspots,
    models_monitor.hotspot_changes,
    models_monitor.criteria,
    models_monitor.counts,
    models_monitor.audit,
)


async def rebuild(db: Database, jetstream: Callable[[], JetStreamContext]) -> int:
    """Drop the projection and its consumers; returns the new generation."""
    async with db.transaction() as session:
        new = await generation(session) + 1
        await session.execute(
            update(models_monitor.state)
            .where(models_monitor.state.c.id == 1)
            .values(generation=new, rebuilt_at=utcnow())
        )
        for table in PROJECTION:
            await session.execute(delete(table))
        await session.execute(delete(models.inbox).where(models.inbox.c.consumer.like(f"{PREFIX}%")))
    await drop_consumers(jetstream())
    log.info("impact monitor rebuilt from the streams", extra={"generation": new})
    return new


async def drop_consumers(js: JetStreamContext) -> None:
    """Delete the projection's durable consumers (another instance's rebuild may have been quicker)."""
    for part, stream, _ in STREAMS:
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(stream, consumer_name(part))


async def pending(js: JetStreamContext) -> int:
    """Messages the projection's consumers have yet to handle (unknown consumers: their whole stream)."""
    left = 0
    for part, stream, _ in STREAMS:
        try:
            info = await js.consumer_info(stream, consumer_name(part))
        except NotFoundError:
            left += (await js.stream_info(stream)).state.messages
            continue
        left += (info.num_pending or 0) + (info.num_ack_pending or 0)
    return left


class Projector:
    """Runs the projection's consumers of the current generation in this instance (a background job)."""

    def __init__(self, check_every_s: float = 2.0) -> None:
        self.check_every_s = check_every_s
        self.generation: int | None = None
        self._poked = asyncio.Event()

    def poke(self) -> None:
        """Look at the generation now (after a rebuild in this process)."""
        self._poked.set()

    async def run(self, runtime: Any) -> None:
        group: ConsumerGroup | None = None
        try:
            while True:
                try:
                    async with runtime.db.reading() as session:
                        wanted = await generation(session)
                    if wanted != self.generation:
                        if group is not None:
                            await group.stop(runtime.settings.graceful_timeout_s)
                        group = ConsumerGroup(
                            runtime.db,
                            runtime.definition.inbox,
                            runtime.jetstream,
                            runtime.consumers.policy,
                            service=runtime.consumers.service,
                        )
                        for subscription in subscriptions(wanted):
                            group.add(subscription)
                        await group.start()
                        self.generation = wanted
                except Exception as exc:  # the broker or the database is away: try again soon
                    log.warning("impact monitor projector waits", extra={"error": repr(exc)})
                try:
                    await asyncio.wait_for(self._poked.wait(), self.check_every_s)
                except TimeoutError:
                    pass
                self._poked.clear()
        finally:
            if group is not None:
                await group.stop(runtime.settings.graceful_timeout_s)


async def rebuild_from_cli() -> int:
    """`hallobot monitor rebuild`: with the notifications service's settings (its database, NATS); the
    running instances follow within their projector's `check_every_s`."""
    import sys

    import nats

    from services.notifications.config import NotificationsSettings
    from shared.migrations import upgrade_async
    from shared.nats_connection import connect_options

    settings = NotificationsSettings()
    url = settings.resolved_database_url()
    await upgrade_async("notifications", url)
    db = Database(url)
    try:
        nc = await nats.connect(
            settings.nats_servers(), allow_reconnect=False, connect_timeout=10, **connect_options(settings)
        )
    except (OSError, nats.errors.Error) as exc:
        print(f"hallobot monitor rebuild: NATS cannot be reached ({exc!r})", file=sys.stderr)
        await db.dispose()
        return 1
    try:
        new = await rebuild(db, nc.jetstream)
    finally:
        await nc.close()
        await db.dispose()
    print(f"impact monitor: emptied; the service reads the streams again from their start (generation {new})")
    return 0
