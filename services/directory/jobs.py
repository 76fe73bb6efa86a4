"""Periodic work of the directory: the yearly counts of the campaign, the title's reminders, the
owners' stale-profile nudges and forgetting the owners of archived profiles."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from services.directory import fairtrade_handlers, handlers, privacy
from services.directory.config import DirectorySettings
from services.directory.store import SqlStore
from shared.db import Database
from shared.envelope import utcnow

if TYPE_CHECKING:
    from shared.service import Runtime

log = logging.getLogger("hallobot.directory.jobs")


async def run_due_jobs(db: Database, now: datetime, settings: DirectorySettings) -> None:
    """One pass; safe from several instances (the campaign row is locked, reminders have a key, a
    nudge is a conditional update of its profile)."""
    async with db.transaction() as session:
        # Actions and articles count per calendar year: on 1 January criteria may be lost.
        await fairtrade_handlers.recount(SqlStore(session), now=now, settings=settings)
    async with db.transaction() as session:
        await fairtrade_handlers.send_reminders(SqlStore(session), now=now)
    async with db.transaction() as session:
        # Owners of stale published profiles get one nudge per stale period (notifications mails it).
        await handlers.notify_stale_owners(SqlStore(session), now=now, settings=settings)
    async with db.transaction() as session:
        # Archived profiles keep their owner's address for DIRECTORY_ARCHIVED_OWNER_DAYS (docs/privacy.md).
        await privacy.forget_archived_owners(session, now, settings.archived_owner_days)


async def periodic_jobs(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, DirectorySettings)
    while True:
        try:
            await run_due_jobs(runtime.db, utcnow(), settings)
        except asyncio.CancelledError:
            raise
        except Exception:  # the next pass tries again; a job must not take the service down
            log.exception("directory jobs failed")
        await asyncio.sleep(settings.job_interval_s)
