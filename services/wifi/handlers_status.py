"""The periodic check of the wifi service: silence → down, maintenance windows opening and closing, the
incident when every site went silent, and last month's availability report."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.wifi import domain, domain_duty
from services.wifi.config import WifiSettings
from services.wifi.ports import WifiStore
from shared.catalog import HotspotAvailability, HotspotIncidentOpened, HotspotIncidentResolved, HotspotMonthlyReport

INCIDENT_REASON = (
    "Alle Standorte ohne Meldung – vermutlich städtischer Uplink / all sites silent – likely the city uplink"
)


async def check_hotspots(store: WifiStore, *, now: datetime, settings: WifiSettings) -> None:
    """The periodic check: silence, maintenance windows, the all-sites incident, last month's report."""
    timeout = settings.heartbeat_timeout
    states = await store.locked_states()
    statuses = {hotspot_id: await tick(store, hotspot_id, state, now, timeout) for hotspot_id, state in states.items()}
    await _check_incident(store, statuses, now, settings.incident_min_sites)
    await _publish_monthly_report(store, now)


async def tick(
    store: WifiStore, hotspot_id: str, state: domain.HotspotState, now: datetime, timeout: timedelta
) -> str | None:
    """Let time and the maintenance windows drive one hotspot's status machine; returns its status."""
    start, end = await store.maintenance_window(hotspot_id, now, closed_too=state.status == "maintenance")
    transition = state.tick(now, timeout=timeout, window_start=start, window_end=end)
    if transition:
        await store.save_state(hotspot_id, state)
        await store.record_transition(hotspot_id, transition)
    return state.status


async def _check_incident(store: WifiStore, statuses: dict[str, str | None], now: datetime, minimum: int) -> None:
    open_incident = await store.open_incident()
    silent = domain.all_silent(statuses, minimum)
    if silent and open_incident is None:
        ids = sorted(key for key, status in statuses.items() if status == "down")
        since = await store.latest_status_since(ids) or now
        incident_id = str(uuid.uuid4())
        await store.add_incident(incident_id, since, ids, INCIDENT_REASON)
        await store.add_event(
            HotspotIncidentOpened(
                incident_id=incident_id,
                hotspot_ids=ids,
                reason=INCIDENT_REASON,
                reason_code=domain.reason_code(INCIDENT_REASON),
                since=since,
            )
        )
    elif not silent and open_incident is not None:
        await store.resolve_incident(open_incident.id, now)
        await store.add_event(
            HotspotIncidentResolved(incident_id=open_incident.id, opened_at=open_incident.opened_at, resolved_at=now)
        )


async def _publish_monthly_report(store: WifiStore, now: datetime) -> None:
    """Once per month, after it ended: the availability of every hotspot that existed in it."""
    month = domain.previous_month(now)
    if await store.monthly_report_done(month):
        return
    start, end = domain.month_bounds(month)
    existed = await store.hotspots_created_before(end)
    if not existed:
        return
    await store.mark_monthly_report(month, now)
    entries = []
    for hotspot_id, site_name in existed:
        spans = await store.periods(hotspot_id, start, end)
        total, duty = domain.availability(spans, start, end, now), domain_duty.figures(spans, start, end, now)
        seconds = {f"{status}_s": round(value, 3) for status, value in total.seconds.items()}
        entries.append(
            HotspotAvailability(
                hotspot_id=hotspot_id,
                site_name=site_name,
                uptime_percent=total.uptime_percent,
                not_monitored_s=round(total.not_monitored_s, 3),
                downtime_min=duty.downtime_min,
                maintenance_min=duty.maintenance_min,
                incidents=duty.incidents,
                **seconds,
            )
        )
    await store.add_event(HotspotMonthlyReport(month=month, hotspots=entries))
