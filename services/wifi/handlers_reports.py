"""Host reports, the hottest path of the system (bench/reports.py): one over HTTP, or a fetched batch from
NATS. Both keep every report and let the fresh ones drive the status machine; a batch has exactly the
outcome of the same reports taken one by one, in a handful of statements for the whole batch.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

from services.wifi import domain
from services.wifi.config import WifiSettings
from services.wifi.ports import HostReport, Report, ReportOutcome, WifiStore
from shared.auth import token_matches
from shared.errors import Forbidden, Invalid, NotFound, TooManyRequests
from shared.ratelimit import Limit, too_many

log = logging.getLogger("hallobot.wifi")


class WrongCredential(Forbidden):
    """A host credential that is not this hotspot's."""


def _bounds(now: datetime, settings: WifiSettings) -> tuple[datetime, datetime]:
    """The oldest and the newest timestamp a report may carry (computed once per batch)."""
    return now - settings.max_report_age, now + settings.max_clock_skew


def _checked_time(hotspot_id: str, report: Report, bounds: tuple[datetime, datetime]) -> datetime:
    """The report's own rules (before any hotspot is read); returns its timestamp in UTC."""
    if report.hotspot_id is not None and report.hotspot_id != hotspot_id:
        raise Invalid("hotspot_id does not match the hotspot reported for", field="hotspot_id")
    at = report.timestamp.astimezone(UTC)
    if at > bounds[1]:
        raise Invalid("timestamp lies in the future (check the host's clock)", field="timestamp")
    if at < bounds[0]:
        raise Invalid("timestamp is older than WIFI_MAX_REPORT_AGE_S: not kept", field="timestamp")
    return at


def _take(
    state: domain.HotspotState, report: Report, at: datetime, now: datetime, settings: WifiSettings, timeout: timedelta
) -> tuple[bool, domain.Transition | None]:
    """Let a newly stored report drive the status machine; returns (stale, transition)."""
    # Reports resent from a host's buffer are history, not a sign of life now.
    if (state.last_report_at is not None and at <= state.last_report_at) or now - at >= timeout:
        return True, None
    seen = domain.observe(report.uplink_ok, report.backhaul_mbps, settings.min_backhaul_mbps)
    in_maintenance = state.status == "maintenance"
    return False, state.report(seen, at, in_maintenance=in_maintenance, confirm=settings.confirm_reports)


async def record_report(
    store: WifiStore,
    hotspot_id: str,
    report: Report,
    *,
    now: datetime,
    settings: WifiSettings,
    via: str = "http",
    token: str | None = None,
    limit: Limit | None = None,
) -> ReportOutcome:
    """Keep the report; let a fresh one drive the status machine. When `token` is given it must be this
    hotspot's host credential, checked before the report's own rules (a stranger learns nothing about
    them); `limit` (WIFI_REPORT_LIMIT, the HTTP route's) is counted once the credential is known to be
    good, in the hotspot's row (`HotspotState.take_reports`): over it, 429 and nothing is kept.

    Maintenance windows open and close with the periodic check (and at once when a window is added
    that has already begun); a report only sees whether the hotspot is in maintenance now. This keeps
    a report at three statements: read the hotspot (its credential's digest with it), insert the report,
    update the status; what follows the insert goes to the database with the COMMIT
    (`write_the_rest_with_commit`).
    """
    bounds = _bounds(now, settings)
    if token is None:
        at = _checked_time(hotspot_id, report, bounds)
    found = (await store.reporting_states((hotspot_id,))).get(hotspot_id)
    if found is None:
        raise NotFound(f"no hotspot {hotspot_id}", field="hotspot_id")
    token_hash, state = found
    if token is not None:
        if not token_matches(token, token_hash):
            raise WrongCredential(f"host credential not valid for hotspot {hotspot_id}", field="token")
        at = _checked_time(hotspot_id, report, bounds)
    if limit is not None and not state.take_reports(1, now, limit.amount, limit.window):
        raise _over(limit, state, now)
    if not await store.add_report(hotspot_id, report, at, now, via):
        return ReportOutcome(hotspot_id, duplicate=True, stale=False, status=state.status)
    await store.write_the_rest_with_commit()
    stale, transition = _take(state, report, at, now, settings, settings.heartbeat_timeout)
    if transition is not None:
        await store.record_transition(hotspot_id, transition)  # the state row is written at commit
    return ReportOutcome(hotspot_id, duplicate=False, stale=stale, status=state.status)


async def record_reports(
    store: WifiStore,
    batch: list[HostReport],
    *,
    now: datetime,
    settings: WifiSettings,
    via: str = "nats",
    limit: Limit | None = None,
) -> None:
    """Many host reports at once, with the same outcome as `record_report(..., token=...)` for each in
    order: same rows, same status transitions and events. Any report that `record_report` would refuse
    raises here too (the caller's transaction is then rolled back as a whole). With a `limit`
    (WIFI_REPORT_LIMIT), the reports of a hotspot beyond it are dropped, not stored (over HTTP they are
    answered 429 instead); counted after the credentials were checked, so nobody else can spend a
    hotspot's budget.

    Statements per batch instead of per report: one read of all hotspots concerned, one multi-row insert
    of the reports, and per hotspot one status row update (at commit); plus a few per transition (rare).
    """
    timeout, bounds = settings.heartbeat_timeout, _bounds(now, settings)
    checked = [(item, _checked_time(item.hotspot_id, item.report, bounds)) for item in batch]
    states = await store.reporting_states({item.hotspot_id for item in batch})
    # Each distinct (hotspot, credential) pair is checked once per batch, not once per report.
    for hotspot_id, token in dict.fromkeys((item.hotspot_id, item.token) for item in batch):
        if hotspot_id not in states:
            raise NotFound(f"no hotspot {hotspot_id}", field="hotspot_id")
        if not token or not token_matches(token, states[hotspot_id][0]):
            raise WrongCredential(f"host credential not valid for hotspot {hotspot_id}", field="token")
    if limit is not None:
        checked = _within_limit(checked, states, now, limit)
    # One INSERT … ON CONFLICT DO NOTHING RETURNING: the rows that came back are the ones stored; a report
    # without its row was a duplicate (of an earlier one, or of one earlier in this batch).
    new = await store.add_reports(checked, now, via)
    for item, at in checked:
        key = (item.hotspot_id, at)
        if key not in new:
            continue  # duplicate: kept once, no effect
        new.discard(key)  # a second copy later in this batch is the duplicate
        _, state = states[item.hotspot_id]
        _, transition = _take(state, item.report, at, now, settings, timeout)
        if transition is not None:
            await store.record_transition(item.hotspot_id, transition)  # state rows written at commit


def _within_limit(
    checked: list[tuple[HostReport, datetime]],
    states: dict[str, tuple[str, domain.HotspotState]],
    now: datetime,
    limit: Limit,
) -> list[tuple[HostReport, datetime]]:
    """The first reports of each hotspot that its budget allows, in order (counted in its row)."""
    wanted = Counter(item.hotspot_id for item, _ in checked)
    allowed = {
        hotspot: states[hotspot][1].take_reports(n, now, limit.amount, limit.window) for hotspot, n in wanted.items()
    }
    if all(allowed[hotspot_id] >= n for hotspot_id, n in wanted.items()):
        return checked
    kept = []
    for item, at in checked:
        if allowed[item.hotspot_id] > 0:
            allowed[item.hotspot_id] -= 1
            kept.append((item, at))
    log.warning("%d reports over WIFI_REPORT_LIMIT dropped", len(checked) - len(kept))
    return kept


def _over(limit: Limit, state: domain.HotspotState, now: datetime) -> TooManyRequests:
    """The 429 of a report over WIFI_REPORT_LIMIT, with the seconds until the hotspot's window ends."""
    ends_at = state.window_ends_at(limit.window)
    return too_many(limit, max(1.0, (ends_at - now).total_seconds()) if ends_at else 1.0)
