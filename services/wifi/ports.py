"""What the use cases need from the outside: the report they are given and the store they write to.

`WifiStore` is the unit of work of one transaction (state rows and outbox events commit together).
store.py implements it with SQL; the use-case tests use an in-memory fake (tests/wifi/fakes.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from services.wifi.domain import HotspotState, Outage, Period, Transition
from services.wifi.domain_duty import MonthTally
from shared.catalog import EventData


class Report(Protocol):
    """One host report as the use cases read it. schemas.ReportIn fits as decoded, so the hot path
    makes no second object per report."""

    @property
    def timestamp(self) -> datetime: ...
    @property
    def uplink_ok(self) -> bool: ...
    @property
    def clients(self) -> int: ...
    @property
    def backhaul_mbps(self) -> float | None: ...
    @property
    def notes(self) -> str | None: ...
    @property
    def hotspot_id(self) -> str | None: ...


class HostReport(NamedTuple):
    """One report as it arrived on NATS: for which hotspot (the subject), what, and with which credential.
    (A named tuple: one is made per report, and cheaper than a frozen dataclass.)"""

    hotspot_id: str
    report: Report
    token: str | None  # None (no credential presented) is refused


@dataclass(frozen=True)
class ReportOutcome:
    hotspot_id: str
    duplicate: bool
    stale: bool  # kept, but too old to change the status
    status: str | None


@dataclass(frozen=True)
class OpenIncident:
    id: str
    opened_at: datetime
    hotspot_ids: list[str]


class WifiStore(Protocol):
    """The wifi service's state inside one transaction."""

    # hotspots
    async def add_hotspot(self, hotspot_id: str, fields: Mapping[str, Any], token_hash: str, now: datetime) -> None: ...
    async def hotspot_exists(self, hotspot_id: str) -> bool: ...
    async def site_names(self) -> dict[str, str]:
        """hotspot id → site name, of every hotspot."""
        ...

    async def update_hotspot(self, hotspot_id: str, changes: Mapping[str, Any]) -> None: ...
    async def hotspots_created_before(self, end: datetime) -> list[tuple[str, str]]:
        """(id, site name) of each hotspot that existed before `end`, by site name."""
        ...

    # the status aggregate
    async def reporting_states(self, hotspot_ids: Collection[str]) -> dict[str, tuple[str, HotspotState]]:
        """(token hash, state) of each hotspot found, locked; the states are written back once, at commit."""
        ...

    async def locked_states(self, hotspot_id: str | None = None) -> dict[str, HotspotState]:
        """One hotspot's state, or every hotspot's (by id), locked; write changes with `save_state`."""
        ...

    async def save_state(self, hotspot_id: str, state: HotspotState) -> None: ...
    async def record_transition(self, hotspot_id: str, transition: Transition) -> None:
        """Close the open status period, open the new one, stage HotspotStatusChanged."""
        ...

    # reports
    async def add_report(self, hotspot_id: str, report: Report, at: datetime, now: datetime, via: str) -> bool:
        """False: a report of this hotspot with this time was stored before (a duplicate)."""
        ...

    async def write_the_rest_with_commit(self) -> None:
        """From here on, the transaction's writes may wait for its commit (one hand-over to SQLite's
        thread for all of them): no later write's row count is read."""
        ...

    async def add_reports(
        self, checked: list[tuple[HostReport, datetime]], now: datetime, via: str
    ) -> set[tuple[str, datetime]]:
        """Insert a batch (duplicates skipped); returns the (hotspot id, report time) stored."""
        ...

    # maintenance, incidents, monthly reports, history
    async def add_maintenance(self, window: Mapping[str, Any]) -> None: ...
    async def maintenance_of(self, hotspot_id: str, window_id: str) -> dict[str, Any] | None:
        """The window with this id, if it is one of this hotspot's."""
        ...

    async def remove_maintenance(self, window_id: str) -> None: ...
    async def end_maintenance(self, window_id: str, at: datetime) -> None: ...
    async def maintenance_window(
        self, hotspot_id: str, now: datetime, *, closed_too: bool
    ) -> tuple[datetime | None, datetime | None]:
        """Start of a window open at `now`; if none is and `closed_too`, the end of the latest closed one."""
        ...

    async def open_incidents(self) -> list[OpenIncident]: ...
    async def active_outages(self) -> list[Outage]:
        """Outages still going on, not decided yet, or alone and their recovery not yet announced."""
        ...

    async def add_outage(self, outage: Outage) -> None: ...
    async def update_outage(self, outage_id: str, changes: Mapping[str, Any]) -> None: ...
    async def add_incident(
        self, incident_id: str, opened_at: datetime, hotspot_ids: list[str], reason: str
    ) -> None: ...
    async def resolve_incident(self, incident_id: str, at: datetime) -> None: ...
    async def monthly_report_done(self, month: str) -> bool: ...
    async def mark_monthly_report(self, month: str, now: datetime) -> None: ...
    async def periods(self, hotspot_id: str, start: datetime, end: datetime) -> list[Period]: ...
    async def roll_up_starts(self) -> dict[str, date]:
        """Per hotspot the first day of its duty (set by the office, else the day of registration)."""
        ...

    async def rolled_months(self) -> dict[str, set[str]]:
        """Per hotspot the months (YYYY-MM) rolled up."""
        ...

    async def add_month_tally(self, hotspot_id: str, month: str, found: MonthTally, now: datetime) -> None: ...
    async def add_event(self, data: EventData) -> None:
        """Stage an event in the outbox of this transaction."""
        ...
