"""Periodic work: reminders the day before an event, reconfirmation before it, the attendance summary and
the erasure of personal data after it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import cast

from services.events import handlers
from services.events.config import EventsSettings
from services.events.store import SqlStore
from shared.db import Database
from shared.envelope import utcnow
from shared.service import Runtime

log = logging.getLogger("hallobot.events.jobs")


async def run_due_jobs(db: Database, now: datetime, settings: EventsSettings) -> tuple[int, int]:
    """One pass; safe to run from several instances (each event is claimed by a conditional update)."""
    async with db.transaction() as session:
        reminded = await handlers.send_reminders(SqlStore(session), now)
    async with db.transaction() as session:
        asked, released = await handlers.run_reconfirmation(
            SqlStore(session), now, settings.reconfirm_deadline, settings.link
        )
    async with db.transaction() as session:
        closed = await handlers.close_attendance(SqlStore(session), now, settings.attendance_closes_after)
    async with db.transaction() as session:
        erased = await handlers.erase_personal_data(SqlStore(session), now, settings.erase_after_days)
    if reminded or erased or asked or released or closed:
        counts = {"reminded_events": reminded, "erased_events": erased, "asked_events": asked}
        log.info("jobs ran", extra=counts | {"released_events": released, "closed_events": closed})
    return reminded, erased


async def periodic_jobs(runtime: Runtime) -> None:
    """Runs beside the service; its settings are the runtime's (created once, in app.py)."""
    settings = cast(EventsSettings, runtime.settings)
    while True:
        try:
            await run_due_jobs(runtime.db, utcnow(), settings)
        except Exception:  # the next pass tries again; a job must not take the service down
            log.exception("events jobs failed")
        await asyncio.sleep(settings.job_interval_s)
