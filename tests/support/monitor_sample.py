"""A known quarter of HalloBot's events (January to March 2026) for the impact monitor's tests, with
the figures they must give. Each call makes fresh ids, so tests on a shared system can tell theirs
apart only by the period (use one nobody else writes into) or count only what carries their ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.catalog import (
    BusinessArchived,
    BusinessPublished,
    BusinessRegistered,
    BusinessUpdated,
    CriterionLost,
    CriterionMet,
    DeliveryFailed,
    DeliverySent,
    EventData,
    EventPublished,
    EventUpdated,
    HotspotRegistered,
    HotspotStatusChanged,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from shared.envelope import CloudEvent, new_event_id

BERLIN = ZoneInfo("Europe/Berlin")
PERIOD = {"von": "2026-01", "bis": "2026-03"}
ACCOUNT_A, ACCOUNT_B = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
SITE = "Kirchplatz"
SERIES_TITLE = "Digitalisierungssprechtag im März"


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BERLIN).astimezone(UTC)


def _id() -> str:
    return str(uuid.uuid4())


class Sample:
    """The events (subject, CloudEvent) in stream order, and what the figures must show."""

    def __init__(self) -> None:
        self.events: list[tuple[str, CloudEvent]] = []
        self.hotspot = _id()
        self._profiles()
        self._calendar()
        self._wifi()
        self._fairtrade_and_mails()

    def add(
        self, data: EventData, at: datetime, actor: str | None = None, subject_data: EventData | None = None
    ) -> None:
        event = data.to_event(new_event_id()).model_copy(update={"time": at})
        if actor:
            event = CloudEvent(**event.model_dump(), actor=actor)
        self.events.append((data.nats_subject(), event))

    def raw(self, short_type: str, entity: str, data: dict, at: datetime) -> None:
        """An event of a type this checkout's catalog may not know yet (a tolerant reader takes it)."""
        event = CloudEvent(
            id=new_event_id(), source="/hallobot/events", type=f"de.bottrop.hallobot.{short_type}",
            subject=entity, time=at, data=data,
        )  # fmt: skip
        self.events.append((f"hallobot.{short_type}.{entity}", event))

    def _profiles(self) -> None:
        jan, feb = local(2026, 1, 10, 12), local(2026, 2, 10, 12)
        self.businesses = [_id() for _ in range(11)]
        b = self.businesses
        for index, business in enumerate(b):
            office = index in (6, 7)
            at = feb if index >= 8 else jan
            self.add(
                BusinessRegistered(business_id=business, category="handel", self_registered=not office),
                at,
                actor="bootstrap" if office else None,
            )
        for index, days in ((0, 2), (1, 4), (2, 6), (6, 1), (7, 3), (8, 10)):
            at = (feb if index >= 8 else jan) + timedelta(days=days)
            actor = ACCOUNT_A if index == 6 else None
            self.add(BusinessPublished(business_id=b[index], category="handel", name=f"Laden {index}"), at, actor)
        for index, changed in ((0, ["description", "phone", "opening_hours"]), (1, ["street", "postal_code"]),
                               (1, ["latitude", "longitude"]), (2, ["name"])):  # fmt: skip
            self.add(
                BusinessUpdated(business_id=b[index], category="handel", changed=changed), jan + timedelta(days=20)
            )
        self.add(BusinessArchived(business_id=b[7], category="handel"), jan + timedelta(days=25), ACCOUNT_A)

    def _calendar(self) -> None:
        self.sprechtag, self.fruehstueck = _id(), _id()
        starts = local(2026, 3, 5, 10)
        common = {"starts_at": starts, "ends_at": starts + timedelta(hours=2)}
        self.add(
            EventPublished(event_id=self.sprechtag, title=SERIES_TITLE, series="digitalisierung", **common),
            local(2026, 1, 20),
            ACCOUNT_B,
        )
        self.add(
            EventUpdated(
                event_id=self.sprechtag, title=SERIES_TITLE, series="digitalisierung", changed=["capacity", "venue"],
                **common,
            ),
            local(2026, 1, 21),
            ACCOUNT_B,
        )  # fmt: skip
        self.add(
            EventPublished(event_id=self.fruehstueck, title="Handwerker-Frühstück", series="fruehstueck", **common),
            local(2026, 1, 20),
        )
        at = local(2026, 2, 20, 9)
        confirmed, waiting = [_id() for _ in range(20)], [_id() for _ in range(6)]
        for registration in confirmed:
            self.add(RegistrationConfirmed(registration_id=registration, event_id=self.sprechtag), at)
        for position, registration in enumerate(waiting, 1):
            self.add(
                RegistrationWaitlisted(registration_id=registration, event_id=self.sprechtag, position=position), at
            )
        for registration in confirmed[:5]:
            self.add(
                RegistrationCancelled(registration_id=registration, event_id=self.sprechtag), at + timedelta(days=1)
            )
        for registration in waiting[:5]:
            self.add(
                RegistrationPromoted(registration_id=registration, event_id=self.sprechtag), at + timedelta(days=1)
            )
        for _ in range(3):
            self.add(RegistrationConfirmed(registration_id=_id(), event_id=self.fruehstueck), at)
        self.raw(
            "events.event.attendance_closed",
            self.sprechtag,
            {"event_id": self.sprechtag, "title": SERIES_TITLE, "series": "digitalisierung",
             "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
             "confirmed": 20, "attended": 16, "no_shows": 4, "attendance_taken": True},
            local(2026, 3, 6),
        )  # fmt: skip

    def _wifi(self) -> None:
        h = self.hotspot
        self.add(HotspotRegistered(hotspot_id=h, site_name=SITE), local(2025, 12, 1))
        changes = [
            (None, "up", local(2026, 1, 1)),
            ("up", "down", local(2026, 1, 25)),
            ("down", "maintenance", local(2026, 2, 1)),
            ("maintenance", "up", local(2026, 2, 15)),
        ]
        for previous, status, at in changes:
            self.add(HotspotStatusChanged(hotspot_id=h, previous=previous, status=status, since=at), at)

    def _fairtrade_and_mails(self) -> None:
        self.add(CriterionMet(criterion="press", count=4, target=4), local(2026, 1, 15))
        self.add(CriterionLost(criterion="retail_gastronomy", count=10, target=12), local(2026, 2, 15))
        at = local(2026, 2, 3, 8)
        for _ in range(6):
            self.add(DeliverySent(delivery_id=_id(), channel="email", recipient="psn_x", event_id=_id()), at)
        self.add(DeliverySent(delivery_id=_id(), channel="webhook", recipient="psn_y", event_id=_id()), at)
        for _ in range(2):
            self.add(
                DeliveryFailed(delivery_id=_id(), channel="email", recipient="psn_x", event_id=_id(), reason="550"), at
            )


# The CSVs of the sample over PERIOD (January to March 2026): the header, then each row, as text.
EXPECTED = {
    "eintraege": [["Monat", "selbst eingetragen", "vom Amt eingetragen"],
                  ["2026-01", "6", "2"], ["2026-02", "3", "0"], ["2026-03", "0", "0"]],
    "veroeffentlichung": [["Monat der Anlage", "angelegt", "veröffentlicht", "Median in Tagen"],
                          ["2026-01", "8", "5", "3.0"], ["2026-02", "3", "1", "10.0"], ["2026-03", "0", "0", ""]],
    "nachruecken": [["Monat", "nachgerückt"], ["2026-01", "0"], ["2026-02", "5"], ["2026-03", "0"]],
    "mails": [["Monat", "versendet", "gescheitert"],
              ["2026-01", "0", "0"], ["2026-02", "6", "2"], ["2026-03", "0", "0"]],
    "wlan": [["Monat", SITE], ["2026-01", "77.42"], ["2026-02", "100.0"], ["2026-03", "100.0"]],
}  # fmt: skip
# Registrations per series: Anmeldungen, Warteliste, abgesagt, nachgerückt, Plätze, erschienen, nicht erschienen, Quote
SERIES_ROWS = {
    SERIES_TITLE: ["26", "6", "5", "5", "20", "16", "< 5", "20.0"],
    "Handwerker-Frühstück": ["< 5", "0", "0", "0", "0", "0", "0", ""],
}
COMPLETENESS = {"0 von 8": "8", "1 von 8": "0", "2 von 8": "1", "3 von 8": "1"}
FAIRTRADE = {
    "2026-01": {"press": "100.0", "retail_gastronomy": ""},
    "2026-02": {"press": "100.0", "retail_gastronomy": "83.3"},
}
AUDIT_ROWS = 6  # the events above that carry `actor`
