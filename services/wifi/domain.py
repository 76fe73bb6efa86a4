"""Hotspot status and availability rules: plain Python, no I/O, time passed in as `now`.

Status machine (see README.md):
- A report is observed as `up`, or `degraded` when the uplink failed or the backhaul is below
  the Wifi4EU minimum. Between up and degraded the status changes only after `confirm` reports
  in a row agree (hysteresis), so a flapping access point produces no storm of events.
- `down` when nothing was heard for the heartbeat timeout; the outage counts from the last sign
  of life. The next fresh report ends it at once (a report is proof of life).
- `maintenance` while an operator's window is open: reports are kept, no alarm is raised. When
  the window closes the hotspot resumes its observed status, or `down` if it stayed silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Berlin")
AVAILABLE = ("up", "degraded")


@dataclass(frozen=True)
class Observation:
    status: str  # "up" or "degraded"
    reason: str


# Why a status changed, as a stable code beside the stored "Deutsch / English" reason text: pages say it
# in their own language (services/wifi/pages.py), and old rows, which carry only the text, get their
# code from it (`reason_code`). The reason texts themselves stay as they are: events and the API carry them.
REASON_PREFIXES = (
    ("Meldung ok", "report_ok"),
    ("Uplink gestört", "uplink_failing"),
    ("Backhaul ", "backhaul_slow"),
    ("keine Meldung seit", "silent"),
    ("Wartungsfenster", "maintenance_window"),
    ("Wartung beendet", "maintenance_over"),
    ("Wartung", "maintenance"),
    ("Alle Standorte ohne Meldung", "all_sites_silent"),
    ("Mehrere Standorte zugleich ohne Meldung", "sites_silent_together"),
)


def reason_code(reason: str) -> str:
    """The code of a reason text written by this module or handlers_status.py; `other` for any other."""
    for prefix, code in REASON_PREFIXES:
        if reason.startswith(prefix):
            return code
    return "other"


def observe(uplink_ok: bool, backhaul_mbps: float | None, min_backhaul_mbps: float) -> Observation:
    """What one report says about the hotspot."""
    if not uplink_ok:
        return Observation("degraded", "Uplink gestört / uplink failing")
    if backhaul_mbps is not None and backhaul_mbps < min_backhaul_mbps:
        return Observation("degraded", f"Backhaul {backhaul_mbps:g} Mbit/s < {min_backhaul_mbps:g} / backhaul slow")
    return Observation("up", "Meldung ok / report ok")


@dataclass(frozen=True)
class Transition:
    previous: str | None
    status: str
    reason: str
    since: datetime


@dataclass
class HotspotState:
    """The status aggregate of one hotspot; its methods decide and return the transition, if any."""

    created_at: datetime
    status: str | None = None
    since: datetime | None = None
    reason: str = ""
    last_report_at: datetime | None = None
    observed: str | None = None
    candidate: str | None = None
    streak: int = 0
    # WIFI_REPORT_LIMIT: the reports taken in the hotspot's current window, which opens with the first
    # report after the last window ended (`take_reports`)
    window_opened_at: datetime | None = None
    reports_in_window: int = 0

    def take_reports(self, wanted: int, now: datetime, limit: int, window: timedelta) -> int:
        """How many of `wanted` reports the hotspot may still deliver in its window (at most `limit`
        per `window`); those are counted. Refused reports count nothing."""
        if self.window_opened_at is None or now >= self.window_opened_at + window:
            self.window_opened_at, self.reports_in_window = now, 0
        taken = max(0, min(wanted, limit - self.reports_in_window))
        self.reports_in_window += taken
        return taken

    def window_ends_at(self, window: timedelta) -> datetime | None:
        """When the current window ends and the next report opens a new one (None: none is open)."""
        return None if self.window_opened_at is None else self.window_opened_at + window

    def _move(self, status: str, reason: str, since: datetime) -> Transition:
        since = max(since, self.since) if self.since else since
        transition = Transition(self.status, status, reason, since)
        self.status, self.reason, self.since = status, reason, since
        self.candidate, self.streak = None, 0
        return transition

    def report(self, seen: Observation, at: datetime, *, in_maintenance: bool, confirm: int) -> Transition | None:
        """A fresh report taken at `at` (the caller drops stale and out-of-order ones)."""
        self.last_report_at, self.observed = at, seen.status
        if in_maintenance:
            return None if self.status == "maintenance" else self._move("maintenance", "Wartung / maintenance", at)
        if self.status in (None, "down", "maintenance"):
            return self._move(seen.status, seen.reason, at)
        if seen.status == self.status:
            self.candidate, self.streak = None, 0
            return None
        if seen.status == self.candidate:
            self.streak += 1
        else:
            self.candidate, self.streak = seen.status, 1
        return self._move(seen.status, seen.reason, at) if self.streak >= confirm else None

    def tick(
        self, now: datetime, *, timeout: timedelta, window_start: datetime | None, window_end: datetime | None
    ) -> Transition | None:
        """Periodic check. `window_start`: start of an open maintenance window; `window_end`: end of the
        latest closed one (both None when there are none)."""
        if window_start is not None:
            if self.status == "maintenance":
                return None
            return self._move("maintenance", "Wartungsfenster / maintenance window", window_start)
        last_sign = self.last_report_at or self.created_at
        silent = now - last_sign >= timeout
        if self.status == "maintenance":
            resumed_at = window_end or now
            if silent or self.observed is None:
                return self._move("down", _silence(timeout), resumed_at)
            return self._move(self.observed, "Wartung beendet / maintenance over", resumed_at)
        if silent and self.status != "down":
            return self._move("down", _silence(timeout), last_sign)
        return None


def _silence(timeout: timedelta) -> str:
    seconds = f"{timeout.total_seconds():g}"
    return f"keine Meldung seit {seconds} s / no report for {seconds} s"


# --- outages and incidents: what the office is told --------------------------------------------
#
# Every stretch of `down` is an outage (table `outages`). The office is not told at once: sites that fail
# together (a shared uplink) go silent within about one report interval of each other, so each outage
# waits `window` after the first undecided one was noticed. Then the group is decided: at least
# `minimum` of its sites still down is ONE incident naming them all; fewer, each still-down site is
# announced alone; one already back is not announced at all (a blip). The decision is stored, so it is
# taken once, and survives a restart.


@dataclass
class Outage:
    id: str
    hotspot_id: str
    started_at: datetime  # the last sign of life
    noticed_at: datetime  # when the check saw it down: the window counts from here
    ended_at: datetime | None = None
    alert: str | None = None  # None: undecided; "incident", "alone" or "none" (back before the window closed)
    incident_id: str | None = None
    recovery_announced: bool = False


@dataclass(frozen=True)
class OutageGroup:
    """Outages decided together: `incident` (one alarm for all), or each `alone`; `brief` ones are not told."""

    alerted: list[Outage]
    brief: list[Outage]
    incident: bool


def follow_outages(
    statuses: dict[str, tuple[str | None, datetime | None]], open_outages: list[Outage]
) -> tuple[list[Outage], list[tuple[str, datetime]]]:
    """Compare each hotspot's (status, since) with its open outage: the outages that ended, and the
    (hotspot, since) of the downs that have none yet (a new outage)."""
    ended, covered = [], set()
    for outage in open_outages:
        status, since = statuses.get(outage.hotspot_id, (None, None))
        if status == "down" and since == outage.started_at:
            covered.add(outage.hotspot_id)
        else:
            ended.append(outage)
    new = [
        (hotspot_id, since)
        for hotspot_id, (status, since) in sorted(statuses.items())
        if status == "down" and since is not None and hotspot_id not in covered
    ]
    return ended, new


def decide_outages(undecided: list[Outage], now: datetime, window: timedelta, minimum: int) -> list[OutageGroup]:
    """The groups whose window has closed: from the earliest undecided outage, every one noticed within
    `window` of it; then the next group from the rest. An outage that ended is `brief`."""
    groups, rest = [], sorted(undecided, key=lambda outage: (outage.noticed_at, outage.hotspot_id))
    while rest and now >= rest[0].noticed_at + window:
        closes = rest[0].noticed_at + window
        members = [outage for outage in rest if outage.noticed_at <= closes]
        rest = [outage for outage in rest if outage.noticed_at > closes]
        still_down = [outage for outage in members if outage.ended_at is None]
        brief = [outage for outage in members if outage.ended_at is not None]
        groups.append(OutageGroup(still_down, brief, incident=len(still_down) >= max(minimum, 2)))
    return groups


def incident_over(hotspot_ids: list[str], statuses: dict[str, tuple[str | None, datetime | None]]) -> bool:
    """An incident is over when none of its sites is down any more (back, or in maintenance)."""
    return all(statuses.get(hotspot_id, (None, None))[0] != "down" for hotspot_id in hotspot_ids)


# --- availability ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    status: str
    start: datetime
    end: datetime | None  # None: still going on


@dataclass
class Availability:
    """Seconds per status in a span. Uptime = (up + degraded) / (up + degraded + down); maintenance and
    time not monitored (before the first status, or in the future) are excluded and shown."""

    start: datetime
    end: datetime
    seconds: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("up", "degraded", "down", "maintenance"), 0.0)
    )
    not_monitored_s: float = 0.0

    @property
    def uptime_percent(self) -> float | None:
        counted = self.seconds["up"] + self.seconds["degraded"] + self.seconds["down"]
        if counted == 0:
            return None
        return round(100 * (self.seconds["up"] + self.seconds["degraded"]) / counted, 4)


def availability(periods: list[Period], start: datetime, end: datetime, now: datetime) -> Availability:
    return availability_of(status_time(periods, start, end, now), start, end)


def status_time(periods: list[Period], start: datetime, end: datetime, now: datetime) -> dict[str, timedelta]:
    """Time per status in [start, min(end, now)), exact (timedelta): the sum over months equals the
    time over the whole span, which the duty's monthly roll-ups rely on (domain_duty.py)."""
    time = dict.fromkeys(("up", "degraded", "down", "maintenance"), timedelta(0))
    for period in periods:
        lo = max(period.start, start)
        hi = min(period.end or now, end, now)
        if hi > lo:
            time[period.status] = time.get(period.status, timedelta(0)) + (hi - lo)
    return time


def availability_of(time: dict[str, timedelta], start: datetime, end: datetime) -> Availability:
    result = Availability(start, end)
    for status, spent in time.items():
        result.seconds[status] = spent.total_seconds()
    result.not_monitored_s = (end - start - sum(time.values(), timedelta(0))).total_seconds()
    return result


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """A calendar month in Bottrop's local time, as UTC instants."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return _local_midnight(first), _local_midnight(following)


def month_days(month: str) -> list[tuple[date, datetime, datetime]]:
    """Each local day of `month` with its UTC bounds (23 or 25 hours on DST change days)."""
    start, end = month_bounds(month)
    day = start.astimezone(LOCAL).date()
    days = []
    while _local_midnight(day) < end:
        following = day + timedelta(days=1)
        days.append((day, _local_midnight(day), _local_midnight(following)))
        day = following
    return days


def previous_month(now: datetime) -> str:
    local = now.astimezone(LOCAL)
    first = local.date().replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)
