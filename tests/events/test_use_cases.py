"""The use cases on a fake unit of work (tests/events/fakes.py): capacity and waitlist, promotion, slots
and cancellation, without a database or a server. The integration tests beside this file run the same
rules on SQLite and PostgreSQL behind HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.events import handlers
from services.events.commands import AddSlots, ChangeEvent, CreateEvent, RegisterForEvent
from shared.catalog import (
    EventCancelled,
    RegistrantNotice,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from shared.errors import Conflict, Invalid, Unauthenticated
from tests.events.fakes import FakeUnitOfWork

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
START = datetime(2031, 3, 10, 17, 0, tzinfo=UTC)
URL = "https://hallo-bot.example.org"


def link(path: str) -> str:
    return URL + path


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


async def published(uow: FakeUnitOfWork, **fields) -> str:
    command = CreateEvent(title="Workshop", starts_at=START, ends_at=START + timedelta(hours=2), venue="Rathaus")
    async with uow.transaction() as store:
        event_id = await handlers.create_event(store, CreateEvent(**(vars_of(command) | fields)), NOW)
        await handlers.publish_event(store, event_id, NOW)
    return event_id


def vars_of(command: CreateEvent) -> dict:
    return {name: getattr(command, name) for name in command.__dataclass_fields__}


async def register(uow: FakeUnitOfWork, event_id: str, n: int, **fields):
    async with uow.transaction() as store:
        return await handlers.register(
            store, RegisterForEvent(event_id, f"Person {n}", f"person{n}@example.org", **fields), NOW, link
        )


def recorded(uow: FakeUnitOfWork, kind: type) -> list:
    return [event for event in uow.store.outbox if isinstance(event, kind)]


async def test_places_are_confirmed_until_the_event_is_full_then_the_waitlist_gives_positions(uow):
    event_id = await published(uow, capacity=2)
    results = [await register(uow, event_id, n) for n in range(4)]
    assert [(r.status, r.position) for r in results] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert [e.registration_id for e in recorded(uow, RegistrationConfirmed)] == [r.id for r in results[:2]]
    assert [(e.registration_id, e.position) for e in recorded(uow, RegistrationWaitlisted)] == [
        (results[2].id, 1),
        (results[3].id, 2),
    ]
    notices = recorded(uow, RegistrantNotice)
    assert [n.kind for n in notices] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert all(
        n.cancel_url.startswith(f"{URL}/veranstaltungen/abmelden?anmeldung={n.registration_id}&token=") for n in notices
    )


async def test_a_full_event_without_a_waitlist_refuses_and_stores_nothing(uow):
    event_id = await published(uow, capacity=1, waitlist=False)
    await register(uow, event_id, 1)
    outbox_before = list(uow.store.outbox)
    with pytest.raises(Conflict, match="fully booked"):
        await register(uow, event_id, 2)
    assert len(uow.store.rows) == 1 and uow.store.outbox == outbox_before


async def test_an_address_holds_one_place_whatever_its_case(uow):
    event_id = await published(uow, capacity=5)
    await register(uow, event_id, 1)
    async with uow.transaction() as store:
        with pytest.raises(Conflict, match="already registered"):
            await handlers.register(store, RegisterForEvent(event_id, "Again", " PERSON1@Example.org"), NOW, link)


async def test_a_cancellation_promotes_the_first_on_the_waitlist(uow):
    event_id = await published(uow, capacity=1)
    first, second, third = [await register(uow, event_id, n) for n in range(3)]
    async with uow.transaction() as store:
        cancelled = await handlers.cancel_registration(store, first.id, NOW, token=first.cancel_token)
    assert cancelled.status == "cancelled"
    assert {r["id"]: r["status"] for r in uow.store.rows.values()} == {
        first.id: "cancelled",
        second.id: "confirmed",
        third.id: "waitlisted",
    }
    assert [e.registration_id for e in recorded(uow, RegistrationPromoted)] == [second.id]
    (cancellation,) = recorded(uow, RegistrationCancelled)
    assert (cancellation.registration_id, cancellation.reason) == (first.id, "by_registrant")
    assert [(n.kind, n.registration_id) for n in recorded(uow, RegistrantNotice)][-2:] == [
        ("cancelled", first.id),
        ("promoted", second.id),
    ]
    async with uow.transaction() as store:  # cancelling again changes nothing
        again = await handlers.cancel_registration(store, first.id, NOW, token=first.cancel_token)
    assert again.status == "cancelled" and len(recorded(uow, RegistrationPromoted)) == 1


async def test_a_cancel_link_with_another_registrations_token_is_refused(uow):
    event_id = await published(uow, capacity=1)
    first, second = [await register(uow, event_id, n) for n in range(2)]
    async with uow.transaction() as store:
        with pytest.raises(Unauthenticated, match="not valid"):
            await handlers.cancel_registration(store, first.id, NOW, token=second.cancel_token)
    assert uow.store.rows[first.id]["status"] == "confirmed"


async def test_more_places_go_to_the_waitlist_in_arrival_order(uow):
    event_id = await published(uow, capacity=1)
    results = [await register(uow, event_id, n) for n in range(4)]
    async with uow.transaction() as store:
        await handlers.update_event(store, ChangeEvent(event_id, {"capacity": 3}), NOW)
    assert [e.registration_id for e in recorded(uow, RegistrationPromoted)] == [results[1].id, results[2].id]
    async with uow.transaction() as store:
        with pytest.raises(Conflict, match="3 places are already taken"):
            await handlers.update_event(store, ChangeEvent(event_id, {"capacity": 2}), NOW)


async def test_a_slot_cannot_be_booked_twice(uow):
    day = await published(uow, kind="consultation", title="Sprechtag")
    async with uow.transaction() as store:
        slot, _other = await handlers.add_slots(store, AddSlots(day, START, 2, "Frau Berg", "Gründung", minutes=30))
    booked = await register(uow, day, 1, slot_id=slot)
    assert booked.status == "confirmed" and uow.store.slots[slot]["registration_id"] == booked.id
    with pytest.raises(Conflict, match="already taken"):
        await register(uow, day, 2, slot_id=slot)
    with pytest.raises(Invalid, match="Choose a slot"):
        await register(uow, day, 3)
    async with uow.transaction() as store:  # cancelling frees the slot for the next
        await handlers.cancel_registration(store, booked.id, NOW, by_operator=True)
    assert (await register(uow, day, 2, slot_id=slot)).status == "confirmed"


async def test_a_booked_slot_keeps_its_topic_and_the_notices_carry_the_slots_times_and_its_calendar_file(uow):
    day = await published(uow, kind="consultation", title="Sprechtag")
    async with uow.transaction() as store:
        (slot,) = await handlers.add_slots(store, AddSlots(day, START, 1, "Frau Berg", "Digitales", minutes=30))
    booked = await register(uow, day, 1, slot_id=slot, topic="Förderprogramme")
    async with uow.transaction() as store:  # the office cancels: that notice names the slot too
        await handlers.cancel_registration(store, booked.id, NOW, by_operator=True)
    first, cancelled = recorded(uow, RegistrantNotice)
    assert (first.topic, first.slot_starts_at, first.slot_ends_at) == (
        "Förderprogramme",
        START,
        START + timedelta(minutes=30),
    )
    assert first.ics_url == f"{URL}/veranstaltungen/{day}/termine/{slot}.ics"
    assert first.event_url == f"{URL}/veranstaltungen/{day}"
    assert (cancelled.kind, cancelled.topic, cancelled.slot_starts_at) == ("cancelled", "Förderprogramme", START)


async def test_only_a_consultation_takes_a_topic(uow):
    event_id = await published(uow, capacity=5)
    with pytest.raises(Invalid, match="Only consultations have a topic"):
        await register(uow, event_id, 1, topic="Website")


async def test_a_cancelled_event_cancels_its_registrations_and_takes_no_more(uow):
    event_id = await published(uow, capacity=1)
    results = [await register(uow, event_id, n) for n in range(2)]
    async with uow.transaction() as store:
        await handlers.cancel_event(store, event_id, NOW)
    assert {r["status"] for r in uow.store.rows.values()} == {"cancelled"}
    assert [e.event_id for e in recorded(uow, EventCancelled)] == [event_id]
    assert [(e.registration_id, e.reason) for e in recorded(uow, RegistrationCancelled)] == [
        (r.id, "event_cancelled") for r in results
    ]
    with pytest.raises(Conflict, match="cancelled"):
        await register(uow, event_id, 3)
    assert len(uow.store.rows) == 2


async def test_a_batch_is_decided_in_order_with_the_counts_each_registration_leaves(uow):
    event_id = await published(uow, capacity=2)
    await register(uow, event_id, 0)
    commands = [RegisterForEvent(event_id, f"Person {n}", f"person{n}@example.org") for n in (1, 2, 3)]
    commands.insert(2, RegisterForEvent(event_id, "Again", "PERSON1@example.org"))  # the same address as the first
    async with uow.transaction() as store:
        outcomes = await handlers.register_all(store, commands, NOW, link)
    first, second, again, third = outcomes
    assert (first.status, second.status, second.position, third.status, third.position) == (
        "confirmed",
        "waitlisted",
        1,
        "waitlisted",
        2,
    )
    assert isinstance(again, Conflict) and again.field == "email"
    stored = sorted(uow.store.rows.values(), key=lambda row: row["seq"])
    assert [row["seq"] for row in stored] == [1, 2, 3, 4]  # arrival numbers go on without a gap
    assert [row["id"] for row in stored][1:] == [first.id, second.id, third.id]
    notices = recorded(uow, RegistrantNotice)[1:]  # each registration's notice, in the batch's order
    assert [(n.registration_id, n.kind, n.position) for n in notices] == [
        (first.id, "confirmed", None),
        (second.id, "waitlisted", 1),
        (third.id, "waitlisted", 2),
    ]


async def test_in_one_batch_a_slot_goes_to_the_first_who_asks_for_it(uow):
    day = await published(uow, kind="consultation", title="Sprechtag")
    async with uow.transaction() as store:
        slot, other = await handlers.add_slots(store, AddSlots(day, START, 2, "Frau Berg", "Gründung", minutes=30))
    commands = [
        RegisterForEvent(day, "Erste", "erste@example.org", slot_id=slot),
        RegisterForEvent(day, "Zweite", "zweite@example.org", slot_id=slot),
        RegisterForEvent(day, "Dritte", "dritte@example.org", slot_id=other),
    ]
    async with uow.transaction() as store:
        first, second, third = await handlers.register_all(store, commands, NOW, link)
    assert isinstance(second, Conflict) and second.field == "slot_id"
    assert uow.store.slots[slot]["registration_id"] == first.id
    assert uow.store.slots[other]["registration_id"] == third.id
    assert len(uow.store.rows) == 2


async def test_a_batch_where_every_registration_is_refused_writes_nothing(uow):
    event_id = await published(uow, capacity=1, waitlist=False)
    await register(uow, event_id, 0)
    outbox_before = list(uow.store.outbox)
    commands = [RegisterForEvent(event_id, f"Person {n}", f"person{n}@example.org") for n in (1, 2)]
    async with uow.transaction() as store:
        outcomes = await handlers.register_all(store, commands, NOW, link)
    assert [type(outcome) for outcome in outcomes] == [Conflict, Conflict]
    assert len(uow.store.rows) == 1 and uow.store.outbox == outbox_before
