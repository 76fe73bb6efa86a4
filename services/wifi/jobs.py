"""Background work of the wifi service: the periodic status check."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from services.wifi.config import WifiSettings
from services.wifi.handlers_status import check_hotspots
from services.wifi.store import SqlWifiStore
from shared.envelope import utcnow
from shared.service import Runtime

log = logging.getLogger("hallobot.wifi")


async def watch_status(runtime: Runtime) -> None:
    """Every `check_interval_s`: silence → down, maintenance windows, the incident, the monthly report."""
    settings = cast(WifiSettings, runtime.settings)  # app.py builds the runtime with the WifiSettings
    while True:
        try:
            async with runtime.db.transaction() as session:
                await check_hotspots(SqlWifiStore(session), now=utcnow(), settings=settings)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the next round tries again; never let the watch die
            log.warning("status check failed", extra={"error": repr(exc)})
        await asyncio.sleep(settings.check_interval_s)
