"""The registration desk (services/events/registration_desk.py) on SQLite and PostgreSQL: registrations
that arrive while a batch is being decided are decided together, in the order they arrived, and every
rule holds as it does for one registration at a time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from services.events import models
from services.events.commands import RegisterForEvent
from services.events.registration_desk import RegistrationDesk
from services.events.store import SqlStore
from shared.console.actor import set_actor
from shared.db import Database
from shared.errors import Conflict
from tests.events.stored import NOW, count, link, published_event
from tests.support.databases import migrated

R = models.registrations


def desk_on(db: Database, **options) -> RegistrationDesk:
    return RegistrationDesk(lambda: db, link, clock=lambda: NOW, **options)


def person(event_id: str, n: int, email: str | None = None) -> RegisterForEvent:
    return RegisterForEvent(event_id, f"Person {n}", email or f"person{n}@example.org")


@contextmanager
def lock_and_count_calls(db: Database) -> Iterator[list[str]]:
    """The statements that read an event with its counts (one per decided batch)."""
    seen: list[str] = []

    def look(conn, cursor, statement, parameters, context, executemany):
        if "events_lock_for_registration" in statement or "json_group_array" in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", look)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", look)


async def stored_in_arrival_order(db: Database, event_id: str) -> list[tuple[str, str]]:
    async with db.reading() as session:
        rows = await session.execute(select(R.c.id, R.c.status).where(R.c.event_id == event_id).order_by(R.c.seq))
        return [(row.id, row.status) for row in rows]


async def test_forty_registrations_arriving_together_are_one_transaction_with_exactly_the_places(database_url):
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=7)
        desk = desk_on(db)
        with lock_and_count_calls(db) as batches:
            results = await asyncio.gather(*(desk.register(person(event_id, n)) for n in range(40)))
        assert len(batches) == 1
        assert [r.status for r in results] == ["confirmed"] * 7 + ["waitlisted"] * 33  # in arrival order
        assert [r.position for r in results[7:]] == list(range(1, 34))
        assert await stored_in_arrival_order(db, event_id) == [(r.id, r.status) for r in results]
        # each registration staged its state event and its notice, in the order of the batch
        async with db.reading() as session:
            payloads = (await session.scalars(select(models.outbox.c.payload).order_by(models.outbox.c.seq))).all()
        ids = [json.loads(p)["data"].get("registration_id") for p in payloads]
        assert [i for i in ids if i] == [r.id for r in results for _ in range(2)]


async def test_registrations_for_two_events_at_once_are_two_batches_each_with_its_own_places(database_url):
    async with migrated("events", database_url) as db:
        workshop, breakfast = await published_event(db, capacity=5), await published_event(db, capacity=3)
        desk = desk_on(db)
        commands = [person(workshop if n % 2 else breakfast, n) for n in range(40)]  # interleaved
        with lock_and_count_calls(db) as batches:
            results = await asyncio.gather(*(desk.register(command) for command in commands))
        assert len(batches) == 2
        for event_id, places in ((workshop, 5), (breakfast, 3)):
            mine = [r for r in results if r.event_id == event_id]
            assert [r.status for r in mine] == ["confirmed"] * places + ["waitlisted"] * (20 - places)
            assert await stored_in_arrival_order(db, event_id) == [(r.id, r.status) for r in mine]


async def test_a_batch_is_at_most_max_batch_registrations(database_url):
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=100)
        desk = desk_on(db, max_batch=16)
        with lock_and_count_calls(db) as batches:
            results = await asyncio.gather(*(desk.register(person(event_id, n)) for n in range(40)))
        assert len(batches) == 3  # 16, 16 and 8
        assert await stored_in_arrival_order(db, event_id) == [(r.id, "confirmed") for r in results]


async def test_a_lone_registration_is_decided_alone_and_at_once(database_url):
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=2)
        desk = desk_on(db)
        with lock_and_count_calls(db) as batches:
            first = await desk.register(person(event_id, 1))
            second = await desk.register(person(event_id, 2))
        assert len(batches) == 2
        assert (first.status, second.status) == ("confirmed", "confirmed")


async def test_a_refused_registration_gets_its_own_answer_and_the_rest_of_its_batch_is_stored(database_url):
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=3)
        desk = desk_on(db)
        commands = [person(event_id, 1), person(event_id, 2), person(event_id, 3, "PERSON1@example.org")]
        first, second, again = await asyncio.gather(*(desk.register(c) for c in commands), return_exceptions=True)
        assert isinstance(again, Conflict) and again.field == "email"
        assert await stored_in_arrival_order(db, event_id) == [(first.id, "confirmed"), (second.id, "confirmed")]


async def test_a_registration_for_an_event_that_does_not_exist_is_not_found_for_each_of_its_batch(database_url):
    async with migrated("events", database_url) as db:
        desk = desk_on(db)
        answers = await asyncio.gather(*(desk.register(person("nope", n)) for n in range(3)), return_exceptions=True)
        assert [type(answer).__name__ for answer in answers] == ["NotFound"] * 3
        assert len({id(answer) for answer in answers}) == 3  # each caller raises its own


async def test_when_the_database_refuses_a_batch_each_registration_is_tried_alone(database_url, monkeypatch):
    """One registration the database refuses (here: a stand-in for a broken row) must not fail the others
    of its batch."""
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=5)
        write = SqlStore.add_registrations

        async def refusing(self, rows, events, origins=None):
            if any(row["name"] == "Kaputt" for row in rows):
                raise RuntimeError("the database refused the row")
            await write(self, rows, events, origins)

        monkeypatch.setattr(SqlStore, "add_registrations", refusing)
        desk = desk_on(db)
        commands = [person(event_id, 1), RegisterForEvent(event_id, "Kaputt", "k@example.org"), person(event_id, 3)]
        with lock_and_count_calls(db) as batches:
            first, broken, third = await asyncio.gather(*(desk.register(c) for c in commands), return_exceptions=True)
        assert isinstance(broken, RuntimeError)
        assert len(batches) == 4  # the batch, then each alone
        assert await stored_in_arrival_order(db, event_id) == [(first.id, "confirmed"), (third.id, "confirmed")]


async def test_each_registrations_events_carry_the_actor_of_its_own_request(database_url):
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=5)
        desk = desk_on(db)

        async def as_(actor: str | None, n: int):
            set_actor(actor)  # in this caller's own context, as the console's auth dependency does
            return await desk.register(person(event_id, n))

        results = await asyncio.gather(as_("account-1", 1), as_(None, 2), as_("account-3", 3))
        async with db.reading() as session:
            payloads = (await session.scalars(select(models.outbox.c.payload))).all()
        actors: dict[str, set[str | None]] = {}
        for payload in map(json.loads, payloads):
            if registration_id := payload["data"].get("registration_id"):
                actors.setdefault(registration_id, set()).add(payload.get("actor"))
        assert [actors[r.id] for r in results] == [{"account-1"}, {None}, {"account-3"}]


async def test_a_caller_who_leaves_before_its_batch_is_decided_is_not_registered(database_url):
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=5)
        desk = desk_on(db)
        async with db.transaction() as session:  # the office holds the event (its lock, SQLite's write turn)
            await SqlStore(session).locked_event(event_id)
            first = asyncio.create_task(desk.register(person(event_id, 1)))
            await asyncio.sleep(0.2)  # its batch waits for the lock
            second = asyncio.create_task(desk.register(person(event_id, 2)))
            left = asyncio.create_task(desk.register(person(event_id, 3)))
            await asyncio.sleep(0.05)
            left.cancel()
        registered = [await first, await second]
        with pytest.raises(asyncio.CancelledError):
            await left
        assert await stored_in_arrival_order(db, event_id) == [(r.id, "confirmed") for r in registered]
        assert await count(db, R, R.c.name == "Person 3") == 0


async def test_a_fault_of_the_desk_itself_answers_every_waiting_caller_and_the_next_batch_starts_afresh(
    tmp_path, monkeypatch
):
    async with migrated("events", f"sqlite:///{tmp_path / 'events.sqlite3'}") as db:
        event_id = await published_event(db, capacity=5)
        desk = desk_on(db)

        async def broken(self, batch):
            raise RuntimeError("the desk broke")

        monkeypatch.setattr(RegistrationDesk, "_decide_batch", broken)
        answers = await asyncio.gather(*(desk.register(person(event_id, n)) for n in range(3)), return_exceptions=True)
        assert [str(answer) for answer in answers] == ["the desk broke"] * 3  # nobody is left waiting
        monkeypatch.undo()
        assert (await desk.register(person(event_id, 4))).status == "confirmed"
