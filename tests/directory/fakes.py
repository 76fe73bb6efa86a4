"""An in-memory `Store` for unit tests of the use cases: the same answers as store.py, no database."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from services.directory import domain
from services.directory.fairtrade import TitleDates
from services.directory.ports import RecordKind
from services.directory.store import DATED_BY
from shared.catalog import EventData


class FakeStore:
    def __init__(self, population: int = 117_000) -> None:
        self.profiles: dict[str, dict[str, Any]] = {}
        self.campaign_row: dict[str, Any] = {
            "id": 1,
            "population": population,
            "council_resolution_on": None,
            "council_resolution_text": None,
            "steering_group": [],
            "criteria_met": {},
            "updated_at": None,
        }
        self.records: dict[str, dict[str, dict[str, Any]]] = {"actions": {}, "press": {}, "meetings": {}, "titles": {}}
        self.reminders: dict[tuple[date, int], datetime] = {}
        self.staged: list[EventData] = []
        self.changes: dict[str, dict[str, Any]] = {}

    def take(self) -> list[tuple[str, Any]]:
        """The events staged since the last call, as (type, what it is about)."""
        taken, self.staged = self.staged, []
        about = ("criterion", "milestone", "days_left", "kind", "name")
        return [(e.TYPE, next((getattr(e, key) for key in about if hasattr(e, key)), None)) for e in taken]

    # --- profiles

    async def get_profile(self, business_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        profile = self.profiles.get(business_id)
        return dict(profile) if profile else None

    async def insert_profile(self, values: dict[str, Any]) -> None:
        assert values["id"] not in self.profiles
        self.profiles[values["id"]] = dict(values)

    async def update_profile(self, business_id: str, values: dict[str, Any]) -> None:
        self.profiles[business_id].update(values)

    async def stale_candidates(self, cutoff: datetime, limit: int) -> list[dict[str, Any]]:
        due = [dict(p) for p in self.profiles.values() if domain.stale_notice_due(p, cutoff)]
        return sorted(due, key=lambda p: p["touched_at"])[:limit]

    async def mark_stale_noticed(self, business_id: str, touched_at: datetime) -> bool:
        profile = self.profiles[business_id]
        if profile["touched_at"] != touched_at or profile.get("stale_noticed_for") == touched_at:
            return False
        profile["stale_noticed_for"] = touched_at
        return True

    async def profiles_of_owner(self, owner_email: str, limit: int) -> list[dict[str, Any]]:
        mine = [
            dict(p)
            for p in self.profiles.values()
            if (p.get("owner_email") or "").lower() == owner_email.lower() and p["status"] != domain.ARCHIVED
        ]
        return sorted(mine, key=lambda p: (p["created_at"], p["id"]))[:limit]

    # --- changes waiting for review

    async def pending_change(self, business_id: str) -> dict[str, Any] | None:
        pending = [
            c
            for c in self.changes.values()
            if c["business_id"] == business_id and c["status"] == domain.PROPOSAL_PENDING
        ]
        assert len(pending) <= 1  # at most one waits per profile
        return dict(pending[0]) if pending else None

    async def get_change(self, change_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        change = self.changes.get(change_id)
        return dict(change) if change else None

    async def insert_change(self, values: dict[str, Any]) -> None:
        assert values["id"] not in self.changes
        self.changes[values["id"]] = dict(values)

    async def update_change(self, change_id: str, values: dict[str, Any]) -> None:
        self.changes[change_id].update(values)

    # --- the campaign

    async def campaign(self, *, for_update: bool = False) -> dict[str, Any]:
        return dict(self.campaign_row)

    async def update_campaign(self, values: dict[str, Any]) -> None:
        self.campaign_row.update(values)

    async def fairtrade_profiles(self, min_products: int) -> dict[str, int]:
        return Counter(
            p["category"]
            for p in self.profiles.values()
            if p["status"] == domain.PUBLISHED and p["fairtrade_products"] >= min_products
        )

    async def actions_per_kind(self, year: int) -> dict[str, int]:
        return Counter(r["kind"] for r in self.records["actions"].values() if r["held_on"].year == year)

    async def press_articles(self, year: int) -> int:
        return sum(1 for r in self.records["press"].values() if r["published_on"].year == year)

    async def add_record(self, kind: RecordKind, record: dict[str, Any]) -> None:
        self.records[kind][record["id"]] = dict(record)

    async def delete_record(self, kind: RecordKind, record_id: str) -> bool:
        return self.records[kind].pop(record_id, None) is not None

    async def title_dates(self) -> TitleDates:
        rows = sorted(self.records["titles"].values(), key=lambda r: r["granted_on"])
        return TitleDates(tuple((r["kind"], r["granted_on"]) for r in rows))

    async def records_between(self, kind: RecordKind, start: date, end: date) -> list[dict[str, Any]]:
        dated = DATED_BY[kind]
        found = [dict(r) for r in self.records[kind].values() if start <= r[dated] <= end]
        return sorted(found, key=lambda r: (r[dated], r["id"]))

    def reminders_sent_sync(self) -> set[int]:
        return {days for (_, days) in self.reminders}

    async def reminders_sent(self, expires_on: date) -> set[int]:
        return {days for (expires, days) in self.reminders if expires == expires_on}

    async def add_reminders(self, expires_on: date, days: set[int], sent_at: datetime) -> None:
        for threshold in days:
            assert (expires_on, threshold) not in self.reminders  # the table's primary key
            self.reminders[expires_on, threshold] = sent_at

    # --- outbox

    async def stage(self, event: EventData) -> None:
        self.staged.append(event)
