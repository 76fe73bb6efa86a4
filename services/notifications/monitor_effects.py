"""What the events of one fetched batch change in the impact monitor's projection, without I/O: the
projection (monitor_projection.py) collects a batch's effects here in stream order and then writes
them with a few statements per table, so a rebuild runs close to the speed of reading the streams.

A tolerant reader: it takes what it needs from `data` by name and ignores types it does not know
(only the audit trail takes every event that carries `actor`). New types are one branch here, e.g.
the attendance of a held event (`events.event.attendance_closed`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.notifications.monitor_rules import month_of, parts_named
from shared.envelope import CloudEvent

AREAS = ("directory", "fairtrade", "events", "wifi", "notifications")


def area_of(short_type: str) -> str:
    head = short_type.split(".", 1)[0]
    return head if head in AREAS else "other"


def actor_of(event: CloudEvent) -> str | None:
    """The CloudEvents extension attribute `actor`: an operator's account id, or `bootstrap`."""
    actor = (event.model_extra or {}).get("actor")
    return str(actor)[:100] if actor else None


def _when(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return fallback


@dataclass
class Effects:
    """A batch's changes, by table; applied in this order: names and calendar first, then new rows,
    then changes to rows (the streams tell a thing's creation before its changes), then appends."""

    calendar: dict[str, dict[str, Any]] = field(default_factory=dict)
    hotspots: dict[str, str] = field(default_factory=dict)
    new_profiles: list[dict[str, Any]] = field(default_factory=list)
    profile_parts: list[dict[str, Any]] = field(default_factory=list)
    published: list[dict[str, Any]] = field(default_factory=list)
    archived: list[dict[str, Any]] = field(default_factory=list)
    new_registrations: list[dict[str, Any]] = field(default_factory=list)
    promoted: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    hotspot_changes: dict[tuple[str, datetime], str] = field(default_factory=dict)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    audit: list[dict[str, Any]] = field(default_factory=list)

    def add(self, event: CloudEvent) -> None:
        short, data, at = event.short_type, event.data, event.time
        actor = actor_of(event)
        if actor:
            self.audit.append(
                {
                    "event_id": event.id,
                    "at": at,
                    "actor": actor,
                    "area": area_of(short),
                    "type": short,
                    "subject": event.subject,
                    "data": data,
                }
            )
        handler = _HANDLERS.get(short)
        if handler is not None:
            handler(self, data, at)

    def _registered(self, d: Mapping[str, Any], at: datetime) -> None:
        self.new_profiles.append(
            {
                "business_id": d["business_id"],
                "self_registered": bool(d.get("self_registered")),
                "signed_up_at": at,
                "signup_month": month_of(at),
                "parts": 0,
                "archived": False,
            }
        )

    def _updated(self, d: Mapping[str, Any], at: datetime) -> None:
        mask = parts_named(d.get("changed") or ())
        if mask:
            self.profile_parts.append({"id": d["business_id"], "mask": mask})

    def _published(self, d: Mapping[str, Any], at: datetime) -> None:
        self.published.append({"id": d["business_id"], "at": at})

    def _archived(self, d: Mapping[str, Any], at: datetime) -> None:
        self.archived.append({"id": d["business_id"]})

    def _calendar(self, d: Mapping[str, Any], at: datetime) -> None:
        self.calendar[d["event_id"]] = {
            "event_id": d["event_id"],
            "title": str(d.get("title") or "")[:300],
            "series": d.get("series"),
            "starts_at": _when(d.get("starts_at"), at),
        }

    def _registration(self, d: Mapping[str, Any], at: datetime, waitlisted: bool) -> None:
        self.new_registrations.append(
            {
                "registration_id": d["registration_id"],
                "event_id": d["event_id"],
                "month": month_of(at),
                "waitlisted": waitlisted,
                "cancelled": False,
            }
        )

    def _promoted(self, d: Mapping[str, Any], at: datetime) -> None:
        self.promoted.append({"id": d["registration_id"], "promo_month": month_of(at)})

    def _cancelled(self, d: Mapping[str, Any], at: datetime) -> None:
        self.cancelled.append({"id": d["registration_id"]})

    def _attendance(self, d: Mapping[str, Any], at: datetime) -> None:
        """A held event's attendance, once it is closed; left out when nobody was checked in at all."""
        if not d.get("attendance_taken"):
            return
        month, series = month_of(_when(d.get("starts_at"), at)), str(d.get("series") or "")
        self.counts[(month, "attendance_confirmed", series)] += int(d.get("confirmed") or 0)
        self.counts[(month, "attendance_attended", series)] += int(d.get("attended") or 0)
        self.counts[(month, "attendance_no_shows", series)] += int(d.get("no_shows") or 0)

    def _hotspot(self, d: Mapping[str, Any], at: datetime) -> None:
        self.hotspots[d["hotspot_id"]] = str(d.get("site_name") or "")

    def _status(self, d: Mapping[str, Any], at: datetime) -> None:
        self.hotspot_changes[(d["hotspot_id"], _when(d.get("since"), at))] = str(d["status"])

    def _criterion(self, d: Mapping[str, Any], at: datetime, met: bool) -> None:
        self.criteria.append(
            {
                "criterion": d["criterion"],
                "at": at,
                "month": month_of(at),
                "met": met,
                "count": int(d.get("count") or 0),
                "target": int(d.get("target") or 0),
            }
        )

    def _delivery(self, d: Mapping[str, Any], at: datetime, outcome: str) -> None:
        self.counts[(month_of(at), "delivery", f"{d.get('channel')}:{outcome}")] += 1


_HANDLERS: dict[str, Callable[[Effects, Mapping[str, Any], datetime], None]] = {
    "directory.business.registered": Effects._registered,
    "directory.business.updated": Effects._updated,
    "directory.business.published": Effects._published,
    "directory.business.archived": Effects._archived,
    "events.event.published": Effects._calendar,
    "events.event.updated": Effects._calendar,
    "events.registration.confirmed": lambda e, d, at: e._registration(d, at, waitlisted=False),
    "events.registration.waitlisted": lambda e, d, at: e._registration(d, at, waitlisted=True),
    "events.registration.promoted": Effects._promoted,
    "events.registration.cancelled": Effects._cancelled,
    "events.registration.released": Effects._cancelled,
    "events.event.attendance_closed": Effects._attendance,
    "wifi.hotspot.registered": Effects._hotspot,
    "wifi.hotspot.renamed": Effects._hotspot,
    "wifi.hotspot.status_changed": Effects._status,
    "fairtrade.criterion.met": lambda e, d, at: e._criterion(d, at, met=True),
    "fairtrade.criterion.lost": lambda e, d, at: e._criterion(d, at, met=False),
    "notifications.delivery.sent": lambda e, d, at: e._delivery(d, at, "sent"),
    "notifications.delivery.failed": lambda e, d, at: e._delivery(d, at, "failed"),
}
