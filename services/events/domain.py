"""Rules of events and registrations, no I/O. `Event` is the aggregate: its methods check a rule, change
its state and record the catalog events they cause in `recorded`, which the use case stages in the
outbox. Creating and changing events: domain_lifecycle.py; check-in and reconfirmation: domain_attendance.py;
calendar arithmetic: domain_times.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from shared.catalog import (
    EventData,
    NoticeKind,
    RegistrantNotice,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from shared.errors import Conflict, Invalid, NotFound

Status = Literal["draft", "published", "cancelled"]
Kind = Literal["event", "consultation"]
Place = Literal["confirmed", "waitlisted"]
CancelReason = Literal["by_registrant", "event_cancelled", "by_operator"]

CANCELLED = "Die Veranstaltung ist abgesagt. / The event has been cancelled."


@dataclass(slots=True)
class Registrant:
    """A registration as the rules see it (name and email are None once erased)."""

    id: str
    event_id: str
    status: str
    slot_id: str | None = None
    name: str | None = None
    email: str | None = None
    language: Literal["de", "en"] = "de"
    seq: int = 0  # arrival order within the event
    topic: str | None = None  # consultation days: what the registrant wants to talk about
    slot_starts_at: datetime | None = None  # consultation days: the booked slot's times
    slot_ends_at: datetime | None = None
    attended_at: datetime | None = None  # checked in at the door
    reconfirm_requested_at: datetime | None = None
    reconfirmed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Slot:
    id: str
    event_id: str
    registration_id: str | None  # who booked it; None: free
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(slots=True)
class Event:
    """An event or consultation day: the aggregate that decides about its registrations."""

    id: str
    kind: Kind
    status: Status
    title: str
    series: str | None
    description: str
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    online_url: str | None
    capacity: int | None  # None: unlimited
    waitlist: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    reconfirm: bool = False  # ask the registrants to confirm again `reconfirm_days_before` days before
    reconfirm_days_before: int = 2
    recorded: list[EventData] = field(default_factory=list, compare=False, repr=False)

    def check_open(self, now: datetime) -> None:
        if self.status == "cancelled":
            raise Conflict(CANCELLED)
        if self.status != "published":
            raise Conflict("Die Veranstaltung ist nicht veröffentlicht. / The event is not published.")
        if self.registration_opens_at and now < self.registration_opens_at:
            raise Conflict("Die Anmeldung ist noch nicht geöffnet. / Registration has not opened yet.")
        if now >= (self.registration_closes_at or self.starts_at):
            raise Conflict("Die Anmeldung ist geschlossen. / Registration is closed.")

    def place(self, confirmed: int, waitlisted: int) -> tuple[Place, int | None]:
        """Where a new registration goes: a place, or the end of the waitlist (with its position)."""
        if self.capacity is None or confirmed < self.capacity:
            return "confirmed", None
        if not self.waitlist:
            raise Conflict("Die Veranstaltung ist ausgebucht. / The event is fully booked.")
        return "waitlisted", waitlisted + 1

    def admit(
        self,
        now: datetime,
        *,
        confirmed: int,
        waitlisted: int,
        registered: bool,
        slot_id: str | None,
        slot: Slot | None,
        topic: str | None = None,
    ) -> tuple[Place, int | None]:
        """Decide about a new registration. `registered`: the address already holds an active place;
        `slot`: the slot `slot_id` names, as stored (None: no such slot); `topic`: what a consultation
        is to be about (events have none)."""
        self.check_open(now)
        if registered:
            raise Conflict(
                "Diese E-Mail-Adresse ist schon angemeldet. / This email address is already registered.", field="email"
            )
        if self.kind == "event":
            if slot_id:
                raise Invalid("Diese Veranstaltung hat keine Termine. / This event has no slots.", field="slot_id")
            if topic:
                raise Invalid("Nur Beratungstermine haben ein Thema. / Only consultations have a topic.", field="topic")
            return self.place(confirmed, waitlisted)
        if not slot_id:
            raise Invalid("Bitte einen Termin wählen. / Choose a slot.", field="slot_id")
        if slot is None or slot.event_id != self.id:
            raise NotFound("Termin nicht gefunden. / Slot not found.", field="slot_id")
        if slot.registration_id is not None:
            raise Conflict("Dieser Termin ist schon vergeben. / This slot is already taken.", field="slot_id")
        return "confirmed", None

    def registered(
        self, registrant: Registrant, position: int | None, cancel_url: str, links: dict[str, str] | None = None
    ) -> None:
        """`links`: the event's page and calendar file (`event_url`, `ics_url`) for the first mail."""
        ids = {"registration_id": registrant.id, "event_id": self.id, "slot_id": registrant.slot_id}
        if registrant.status == "confirmed":
            self.recorded.append(RegistrationConfirmed(**ids))
        else:
            self.recorded.append(RegistrationWaitlisted(**ids, position=position))
        kind: NoticeKind = "confirmed" if registrant.status == "confirmed" else "waitlisted"
        self.notify(registrant, kind, cancel_url, position, links)

    def cancel_registration(self, registrant: Registrant, reason: CancelReason) -> bool:
        """False if it was cancelled already (cancelling is idempotent)."""
        if registrant.status == "cancelled":
            return False
        registrant.status = "cancelled"
        self.cancelled(registrant, reason)
        self.notify(registrant, "cancelled")
        return True

    def promotes_at(self, now: datetime) -> bool:
        """Freed places go to the waitlist while the event is published and has not begun."""
        return self.kind == "event" and self.status == "published" and self.starts_at > now

    def to_promote(self, confirmed: int, waitlist_in_order: list[str]) -> list[str]:
        """First in, first out: the waitlisted who now get a place, in arrival order."""
        if self.capacity is None:
            return list(waitlist_in_order)
        return waitlist_in_order[: max(0, self.capacity - confirmed)]

    def promote(self, confirmed: int, waiting: list[Registrant]) -> list[Registrant]:
        """Give free places to the first on the waitlist (`waiting` in arrival order)."""
        chosen = set(self.to_promote(confirmed, [r.id for r in waiting]))
        promoted = [r for r in waiting if r.id in chosen]
        for registrant in promoted:
            registrant.status = "confirmed"
            self.recorded.append(RegistrationPromoted(registration_id=registrant.id, event_id=self.id))
            self.notify(registrant, "promoted")
        return promoted

    # --- what the events say ---------------------------------------------------------------

    def calendar_fields(self) -> dict[str, object]:
        return dict(
            event_id=self.id, title=self.title, series=self.series, starts_at=self.starts_at, ends_at=self.ends_at
        )

    def cancelled(self, registrant: Registrant, reason: CancelReason) -> None:
        self.recorded.append(
            RegistrationCancelled(
                registration_id=registrant.id, event_id=self.id, slot_id=registrant.slot_id, reason=reason
            )
        )

    def notify(
        self,
        registrant: Registrant,
        kind: NoticeKind,
        cancel_url: str | None = None,
        position: int | None = None,
        links: dict[str, str] | None = None,
        reconfirm_url: str | None = None,
        reply_by: datetime | None = None,
    ) -> None:
        """A private notice, as long as the registrant's personal data is still there."""
        if not registrant.email:
            return
        self.recorded.append(
            RegistrantNotice(
                registration_id=registrant.id,
                event_id=self.id,
                slot_id=registrant.slot_id,
                kind=kind,
                email=registrant.email,
                name=registrant.name or "",
                language=registrant.language,
                event_title=self.title,
                starts_at=self.starts_at,
                ends_at=self.ends_at,
                venue=self.venue,
                online_url=self.online_url,
                cancel_url=cancel_url,
                position=position,
                slot_starts_at=registrant.slot_starts_at,
                slot_ends_at=registrant.slot_ends_at,
                topic=registrant.topic,
                reconfirm_url=reconfirm_url,
                reply_by=reply_by,
                **(links or {}),
            )
        )
