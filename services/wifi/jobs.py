"""Background work of the wifi service: the periodic status check."""

from __future__ import annotations

import asyncio
import logging

from services.wifi import handlers
from services.wifi.handlers import Tuning
from shared.envelope import utcnow

log = logging.getLogger("hallobot.wifi")


def status_watch(tuning: Tuning):
    """Every `check_interval_s`: silence → down, maintenance windows, the incident, the monthly report."""

    async def watch_status(runtime) -> None:
        while True:
            try:
                async with runtime.db.transaction() as session:
                    await handlers.check_hotspots(session, now=utcnow(), tuning=tuning)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next round tries again; never let the watch die
                log.warning("status check failed", extra={"error": repr(exc)})
            await asyncio.sleep(tuning.check_interval_s)

    return watch_status
