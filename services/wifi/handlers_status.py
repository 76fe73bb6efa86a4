"""The periodic check of the wifi service: silence → down, maintenance windows opening and closing, outages
told to the office (several sites together as one incident, a site alone as its own), and last month's
availability report."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from services.wifi import domain, domain_duty
from services.wifi.config import WifiSettings
from services.wifi.ports import WifiStore
from shared.catalog import (
    HotspotAvailability,
    HotspotIncidentOpened,
    HotspotIncidentResolved,
    HotspotMonthlyReport,
    HotspotOutageAnnounced,
    HotspotRecoveryAnnounced,
)

INCIDENT_REASON = (
    "Mehrere Standorte zugleich ohne Meldung – vermutlich gemeinsamer Uplink / "
    "several sites silent together – likely a shared uplink"
)


async def check_hotspots(store: WifiStore, *, now: datetime, settings: WifiSettings) -> None:
    """The periodic check: silence, maintenance windows, outages and incidents, last month's report."""
    timeout = settings.heartbeat_timeout
    states = await store.locked_states()
    for hotspot_id, state in states.items():
        await tick(store, hotspot_id, state, now, timeout)
    statuses = {hotspot_id: (state.status, state.since) for hotspot_id, state in states.items()}
    await check_outages(store, statuses, now, settings)
    await _publish_monthly_report(store, now)
    await roll_up_months(store, now, settings.max_report_age)


# Months rolled up per check at most: a first check over years of history spreads the work over a few
# rounds instead of holding the hotspots' locks for all of it.
ROLL_UPS_PER_CHECK = 12


async def roll_up_months(
    store: WifiStore, now: datetime, max_report_age: timedelta, limit: int = ROLL_UPS_PER_CHECK
) -> int:
    """Write the duty figures of each site's months that can no longer change (over before `now -
    max_report_age`: a report that old is refused, so none can still change the status then), from
    the first day of its duty on (its first month from that day); returns how many were written."""
    last = _month_before(_month_of(now - max_report_age))
    rolled, written = await store.rolled_months(), 0
    for hotspot_id, first_day in sorted((await store.roll_up_starts()).items()):
        month = _month_of(first_day)
        while month <= last and written < limit:
            lo, hi = domain.month_bounds(month)
            key, lo = domain_duty.roll_up_key(month, first_day), max(lo, domain_duty.local_midnight(first_day))
            if key not in rolled.get(hotspot_id, set()):
                found = domain_duty.tally(await store.periods(hotspot_id, lo, hi), lo, hi, now)
                await store.add_month_tally(hotspot_id, key, found, now)
                written += 1
            month = _month_after(month)
    return written


def _month_of(moment: datetime | date) -> str:
    day = moment.astimezone(domain.LOCAL).date() if isinstance(moment, datetime) else moment
    return f"{day.year:04d}-{day.month:02d}"


def _month_after(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def _month_before(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"


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


Statuses = dict[str, tuple[str | None, datetime | None]]


async def check_outages(store: WifiStore, statuses: Statuses, now: datetime, settings: WifiSettings) -> None:
    """Outages begin and end with the statuses; once an outage's window has closed it is told, once: with
    the others of its group as one incident, or alone; a recovery is told as it was (domain.py)."""
    outages = await store.active_outages()
    ended, new = domain.follow_outages(statuses, [outage for outage in outages if outage.ended_at is None])
    for outage in ended:
        outage.ended_at = now
        await store.update_outage(outage.id, {"ended_at": now})
    for hotspot_id, since in new:
        outage = domain.Outage(str(uuid.uuid4()), hotspot_id, since, now)
        await store.add_outage(outage)
        outages.append(outage)
    names = await store.site_names()
    undecided = [outage for outage in outages if outage.alert is None]
    for group in domain.decide_outages(undecided, now, settings.incident_window, settings.incident_min_sites):
        for outage in group.brief:
            await store.update_outage(outage.id, {"alert": "none"})
        if group.incident:
            await _open_incident(store, group.alerted, names)
        else:
            for outage in group.alerted:
                outage.alert = "alone"
                await store.update_outage(outage.id, {"alert": "alone"})
                await store.add_event(
                    HotspotOutageAnnounced(
                        outage_id=outage.id,
                        hotspot_id=outage.hotspot_id,
                        site_name=names.get(outage.hotspot_id, ""),
                        since=outage.started_at,
                    )
                )
    for outage in outages:
        if outage.alert == "alone" and outage.ended_at is not None and not outage.recovery_announced:
            await store.update_outage(outage.id, {"recovery_announced": True})
            await store.add_event(
                HotspotRecoveryAnnounced(
                    outage_id=outage.id,
                    hotspot_id=outage.hotspot_id,
                    site_name=names.get(outage.hotspot_id, ""),
                    since=outage.started_at,
                    recovered_at=outage.ended_at,
                )
            )
    for incident in await store.open_incidents():
        if domain.incident_over(incident.hotspot_ids, statuses):
            await store.resolve_incident(incident.id, now)
            await store.add_event(
                HotspotIncidentResolved(
                    incident_id=incident.id,
                    opened_at=incident.opened_at,
                    resolved_at=now,
                    hotspot_ids=incident.hotspot_ids,
                    site_names={i: names.get(i, "") for i in incident.hotspot_ids},
                )
            )


async def _open_incident(store: WifiStore, outages: list[domain.Outage], names: dict[str, str]) -> None:
    ids = sorted(outage.hotspot_id for outage in outages)
    since = min(outage.started_at for outage in outages)
    incident_id = str(uuid.uuid4())
    await store.add_incident(incident_id, since, ids, INCIDENT_REASON)
    for outage in outages:
        outage.alert, outage.incident_id = "incident", incident_id
        await store.update_outage(outage.id, {"alert": "incident", "incident_id": incident_id})
    await store.add_event(
        HotspotIncidentOpened(
            incident_id=incident_id,
            hotspot_ids=ids,
            reason=INCIDENT_REASON,
            reason_code=domain.reason_code(INCIDENT_REASON),
            since=since,
            site_names={i: names.get(i, "") for i in ids},
        )
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
