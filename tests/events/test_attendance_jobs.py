"""Check-in, the attendance summary and reconfirmation as use cases and jobs on SQLite and PostgreSQL.

The use cases and `run_due_jobs` take `now`, so these tests run them at exact moments against the
real database; what leaves the service is read from its outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from services.events import handlers, models, queries, queries_attendance, queries_exports
from services.events.commands import ChangeEvent, CreateEvent, RegisterForEvent
from services.events.config import EventsSettings
from services.events.jobs import run_due_jobs
from services.events.store import SqlStore
from shared.db import Database
from shared.errors import Conflict, Unauthenticated
from tests.support.databases import migrated

CREATED = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
START = datetime(2031, 3, 10, 17, 0, tzinfo=UTC)  # 18:00 in Bottrop
END = START + timedelta(hours=2)
SETTINGS = EventsSettings(attendance_closes_after_h=24, reconfirm_deadline_h=24)


@pytest.fixture
async def db(database_url):
    async with migrated("events", database_url) as database:
        yield database


async def event_with(db: Database, people: int, *, capacity: int, series: str | None = None, **fields) -> tuple:
    async with db.transaction() as session:
        store = SqlStore(session)
        command = CreateEvent("Workshop", START, END, venue="Rathaus", capacity=capacity, series=series, **fields)
        event_id = await handlers.create_event(store, command, CREATED)
        await handlers.publish_event(store, event_id, CREATED)
        ids = [
            (await handlers.register(store, RegisterForEvent(event_id, f"P{n}", f"p{n}@example.org"), CREATED, link)).id
            for n in range(people)
        ]
    return event_id, ids


def link(path: str) -> str:
    return "https://hallo-bot.example.org" + path


async def outbox(db: Database, type_suffix: str) -> list[dict]:
    async with db.reading() as session:
        rows = (await session.execute(select(models.outbox.c.payload).order_by(models.outbox.c.seq))).all()
    return [body["data"] for body in (json.loads(r.payload) for r in rows) if body["type"].endswith(type_suffix)]


async def check_in(db: Database, registration_id: str, now: datetime, attended: bool = True):
    async with db.transaction() as session:
        return await handlers.check_in(
            SqlStore(session), registration_id, now, SETTINGS.attendance_closes_after, attended=attended
        )


async def test_check_ins_on_the_day_change_the_figures_and_the_summary_after_the_event_counts_the_no_shows(db):
    event_id, ids = await event_with(db, 4, capacity=4, series="Handwerker-Frühstück")
    with pytest.raises(Conflict):
        await check_in(db, ids[0], START - timedelta(days=1))  # the day before: not yet
    for registration_id in ids[:3]:
        await check_in(db, registration_id, START)
    await check_in(db, ids[2], START + timedelta(minutes=5), attended=False)  # the wrong name, taken back
    async with db.reading() as session:
        figures = await queries_attendance.attendance(session, event_id, START, SETTINGS.attendance_closes_after)
        export = await queries_exports.participants(session, event_id)
    assert (figures.confirmed, figures.attended, figures.no_shows, figures.closed) == (4, 2, None, False)
    assert [row[-3] for row in export] == ["yes", "yes", "no", "no"]
    assert [e["registration_id"] for e in await outbox(db, "registration.attended")] == ids[:3]
    assert [e["registration_id"] for e in await outbox(db, "registration.attendance_undone")] == [ids[2]]

    await run_due_jobs(db, END + timedelta(hours=23), SETTINGS)  # the list may still be corrected
    assert await outbox(db, "event.attendance_closed") == []
    await run_due_jobs(db, END + timedelta(hours=24), SETTINGS)
    await run_due_jobs(db, END + timedelta(hours=25), SETTINGS)  # once only
    (summary,) = await outbox(db, "event.attendance_closed")
    assert summary["event_id"] == event_id and summary["series"] == "Handwerker-Frühstück"
    assert (summary["confirmed"], summary["attended"], summary["no_shows"], summary["attendance_taken"]) == (
        4,
        2,
        2,
        True,
    )
    with pytest.raises(Conflict):
        await check_in(db, ids[3], END + timedelta(hours=24))  # the list is final


async def test_reconfirmation_asks_two_days_before_keeps_the_confirmed_and_gives_the_silent_places_to_the_waitlist(db):
    event_id, (answers, silent, waiting) = await event_with(db, 3, capacity=2, reconfirm=True)
    await run_due_jobs(db, START - timedelta(days=2, seconds=1), SETTINGS)
    assert await outbox(db, "reconfirmation_requested") == []
    await run_due_jobs(db, START - timedelta(days=2), SETTINGS)
    await run_due_jobs(db, START - timedelta(days=2) + timedelta(minutes=5), SETTINGS)  # asked once
    requested = await outbox(db, "reconfirmation_requested")
    assert [(e["registration_id"], e["reply_by"]) for e in requested] == [
        (answers, "2031-03-09T17:00:00Z"),
        (silent, "2031-03-09T17:00:00Z"),
    ]
    notices = [n for n in await outbox(db, "registration.notice") if n["kind"] == "reconfirm"]
    assert [n["registration_id"] for n in notices] == [answers, silent]
    assert urlsplit(notices[0]["reconfirm_url"]).path == "/veranstaltungen/bestaetigen"
    token = token_of(notices[0]["reconfirm_url"])

    async with db.transaction() as session:
        with pytest.raises(Unauthenticated):
            await handlers.reconfirm(SqlStore(session), answers, "hbr_wrong", START - timedelta(days=1, hours=1))
    async with db.transaction() as session:
        await handlers.reconfirm(SqlStore(session), answers, token, START - timedelta(days=1, hours=1))
    assert [e["registration_id"] for e in await outbox(db, "registration.reconfirmed")] == [answers]

    await run_due_jobs(db, START - timedelta(hours=24), SETTINGS)
    await run_due_jobs(db, START - timedelta(hours=23), SETTINGS)  # released once
    assert [e["registration_id"] for e in await outbox(db, "registration.released")] == [silent]
    assert [e["registration_id"] for e in await outbox(db, "registration.promoted")] == [waiting]
    kinds = {(n["registration_id"], n["kind"]) for n in await outbox(db, "registration.notice")}
    assert {(silent, "released"), (waiting, "promoted")} <= kinds
    assert (waiting, "reconfirm") not in kinds  # a promoted place is fresh: not asked again
    async with db.reading() as session:
        view = await queries.get_event(session, event_id, operator=True)
        export = await queries_exports.participants(session, event_id)
    assert (view.confirmed, view.waitlisted) == (2, 0)
    assert [(row[0], row[1], row[-1]) for row in export] == [
        (answers, "confirmed", "reconfirmed"),
        (silent, "cancelled", "released"),
        (waiting, "confirmed", "not_asked"),
    ]


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def notice(db: Database, registration_id: str, kind: str) -> dict:
    notices = await outbox(db, "registration.notice")
    return next(n for n in notices if n["registration_id"] == registration_id and n["kind"] == kind)


async def test_the_reconfirmation_token_also_frees_the_place_and_the_cancel_token_also_reconfirms(db):
    _event_id, (first, second) = await event_with(db, 2, capacity=2, reconfirm=True)
    await run_due_jobs(db, START - timedelta(days=2), SETTINGS)
    reconfirm_token = token_of((await notice(db, first, "reconfirm"))["reconfirm_url"])
    cancel_token = token_of((await notice(db, second, "confirmed"))["cancel_url"])
    later = START - timedelta(days=1, hours=2)
    async with db.transaction() as session:
        await handlers.cancel_registration(SqlStore(session), first, later, token=reconfirm_token)
    async with db.transaction() as session:
        await handlers.reconfirm(SqlStore(session), second, cancel_token, later)
    assert [e["registration_id"] for e in await outbox(db, "registration.reconfirmed")] == [second]
    assert [e["registration_id"] for e in await outbox(db, "registration.cancelled")] == [first]


async def test_an_event_that_stopped_asking_releases_nobody(db):
    event_id, _ids = await event_with(db, 2, capacity=2, reconfirm=True)
    await run_due_jobs(db, START - timedelta(days=2), SETTINGS)
    async with db.transaction() as session:
        await handlers.update_event(SqlStore(session), ChangeEvent(event_id, {"reconfirm": False}), CREATED)
    await run_due_jobs(db, START - timedelta(hours=12), SETTINGS)
    assert await outbox(db, "registration.released") == []
