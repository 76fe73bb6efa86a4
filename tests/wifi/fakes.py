"""An in-memory `WifiStore` (services/wifi/ports.py) for the use-case tests: no database, same contract.
Like the SQL store, the states handed out by `reporting_states` are kept and their changes stay."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from services.wifi.domain import LOCAL, HotspotState, Outage, Period, Transition, reason_code
from services.wifi.domain_duty import MonthTally
from services.wifi.ports import HostReport, OpenIncident, Report
from shared.catalog import EventData, HotspotStatusChanged


@dataclass
class FakeHotspot:
    fields: dict[str, Any]
    token_hash: str
    state: HotspotState


@dataclass
class FakeWifiStore:
    hotspots: dict[str, FakeHotspot] = field(default_factory=dict)
    reports: dict[tuple[str, datetime], dict[str, Any]] = field(default_factory=dict)
    periods_of: dict[str, list[list[Any]]] = field(default_factory=dict)  # [status, start, end]
    windows: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    outages: dict[str, Outage] = field(default_factory=dict)
    monthly: set[str] = field(default_factory=set)
    tallies: dict[tuple[str, str], MonthTally] = field(default_factory=dict)  # (hotspot, month)
    events: list[EventData] = field(default_factory=list)

    async def add_hotspot(self, hotspot_id: str, fields: Mapping[str, Any], token_hash: str, now: datetime) -> None:
        self.hotspots[hotspot_id] = FakeHotspot(dict(fields), token_hash, HotspotState(created_at=now))

    async def hotspot_exists(self, hotspot_id: str) -> bool:
        return hotspot_id in self.hotspots

    async def site_names(self) -> dict[str, str]:
        return {id_: h.fields["site_name"] for id_, h in self.hotspots.items()}

    async def update_hotspot(self, hotspot_id: str, changes: Mapping[str, Any]) -> None:
        hotspot = self.hotspots[hotspot_id]
        for key, value in changes.items():
            if key == "token_hash":
                hotspot.token_hash = value
            else:
                hotspot.fields[key] = value

    async def hotspots_created_before(self, end: datetime) -> list[tuple[str, str]]:
        found = [(id_, h.fields["site_name"]) for id_, h in self.hotspots.items() if h.state.created_at < end]
        return sorted(found, key=lambda item: item[1])

    async def reporting_states(self, hotspot_ids: Collection[str]) -> dict[str, tuple[str, HotspotState]]:
        return {id_: (h.token_hash, h.state) for id_, h in self.hotspots.items() if id_ in hotspot_ids}

    async def locked_states(self, hotspot_id: str | None = None) -> dict[str, HotspotState]:
        return {id_: self.hotspots[id_].state for id_ in sorted(self.hotspots) if hotspot_id in (None, id_)}

    async def save_state(self, hotspot_id: str, state: HotspotState) -> None:
        self.hotspots[hotspot_id].state = state

    async def record_transition(self, hotspot_id: str, transition: Transition) -> None:
        spans = self.periods_of.setdefault(hotspot_id, [])
        for span in spans:
            if span[2] is None:
                span[2] = transition.since
        spans.append([transition.status, transition.since, None])
        since_month = f"{transition.since.astimezone(LOCAL):%Y-%m}"
        for key in [key for key in self.tallies if key[0] == hotspot_id and key[1] >= since_month]:
            del self.tallies[key]
        self.events.append(
            HotspotStatusChanged(
                hotspot_id=hotspot_id,
                previous=transition.previous,
                status=transition.status,
                reason=transition.reason,
                reason_code=reason_code(transition.reason),
                since=transition.since,
                site_name=self.hotspots[hotspot_id].fields.get("site_name"),
            )
        )

    async def add_report(self, hotspot_id: str, report: Report, at: datetime, now: datetime, via: str) -> bool:
        if (hotspot_id, at) in self.reports:
            return False
        self.reports[hotspot_id, at] = {"uplink_ok": report.uplink_ok, "clients": report.clients, "via": via}
        return True

    async def write_the_rest_with_commit(self) -> None:
        pass  # no database thread here

    async def add_reports(
        self, checked: list[tuple[HostReport, datetime]], now: datetime, via: str
    ) -> set[tuple[str, datetime]]:
        stored = set()
        for item, at in checked:
            if await self.add_report(item.hotspot_id, item.report, at, now, via):
                stored.add((item.hotspot_id, at))
        return stored

    async def add_maintenance(self, window: Mapping[str, Any]) -> None:
        self.windows.append(dict(window))

    async def maintenance_of(self, hotspot_id: str, window_id: str) -> dict[str, Any] | None:
        found = [w for w in self.windows if w["id"] == window_id and w["hotspot_id"] == hotspot_id]
        return dict(found[0]) if found else None

    async def remove_maintenance(self, window_id: str) -> None:
        self.windows = [w for w in self.windows if w["id"] != window_id]

    async def end_maintenance(self, window_id: str, at: datetime) -> None:
        for window in self.windows:
            if window["id"] == window_id:
                window["ends_at"] = at

    async def maintenance_window(
        self, hotspot_id: str, now: datetime, *, closed_too: bool
    ) -> tuple[datetime | None, datetime | None]:
        mine = [w for w in self.windows if w["hotspot_id"] == hotspot_id]
        open_starts = [w["starts_at"] for w in mine if w["starts_at"] <= now < w["ends_at"]]
        if open_starts or not closed_too:
            return min(open_starts, default=None), None
        return None, max((w["ends_at"] for w in mine if w["ends_at"] <= now), default=None)

    async def open_incidents(self) -> list[OpenIncident]:
        found = [i for i in self.incidents if i["resolved_at"] is None]
        return [OpenIncident(i["id"], i["opened_at"], list(i["hotspot_ids"])) for i in found]

    async def active_outages(self) -> list[Outage]:
        return [
            replace(o)
            for o in self.outages.values()
            if o.ended_at is None or o.alert is None or (o.alert == "alone" and not o.recovery_announced)
        ]

    async def add_outage(self, outage: Outage) -> None:
        self.outages[outage.id] = replace(outage)

    async def update_outage(self, outage_id: str, changes: Mapping[str, Any]) -> None:
        self.outages[outage_id] = replace(self.outages[outage_id], **changes)

    async def add_incident(self, incident_id: str, opened_at: datetime, hotspot_ids: list[str], reason: str) -> None:
        self.incidents.append(
            {"id": incident_id, "opened_at": opened_at, "resolved_at": None, "hotspot_ids": hotspot_ids}
        )

    async def resolve_incident(self, incident_id: str, at: datetime) -> None:
        for incident in self.incidents:
            if incident["id"] == incident_id:
                incident["resolved_at"] = at

    async def monthly_report_done(self, month: str) -> bool:
        return month in self.monthly

    async def mark_monthly_report(self, month: str, now: datetime) -> None:
        self.monthly.add(month)

    async def periods(self, hotspot_id: str, start: datetime, end: datetime) -> list[Period]:
        spans = self.periods_of.get(hotspot_id, [])
        return [Period(s, lo, hi) for s, lo, hi in spans if lo < end and (hi is None or hi > start)]

    async def roll_up_starts(self) -> dict[str, date]:
        return {
            id_: h.fields.get("duty_start") or h.state.created_at.astimezone(LOCAL).date()
            for id_, h in self.hotspots.items()
        }

    async def rolled_months(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for hotspot_id, month in self.tallies:
            found.setdefault(hotspot_id, set()).add(month)
        return found

    async def add_month_tally(self, hotspot_id: str, month: str, found: MonthTally, now: datetime) -> None:
        assert (hotspot_id, month) not in self.tallies, "a month is rolled up once"
        self.tallies[hotspot_id, month] = found

    async def add_event(self, data: EventData) -> None:
        self.events.append(data)
