"""The mail sender against a real SMTP server and a real SQLite database, with the commits of its
"sent" marks held back by the test: a mail's DATA waits for the previous mail's mark."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.notifications import models
from services.notifications.config import NotificationsSettings
from services.notifications.handlers_delivery import claim
from services.notifications.handlers_fanout import mail_row
from services.notifications.mail_sender import MailSender, SentMarks
from services.notifications.repository import SqlRepository
from shared.catalog import DeliverySent, RegistrantNotice
from shared.envelope import utcnow
from tests.notifications.conftest import until
from tests.support.databases import migrated
from tests.support.hand_overs import record_hand_overs


class HeldMarks:
    """Stands in for `SentMarks`: each mark is committed (or fails) when the test says so."""

    def __init__(self) -> None:
        self.pending: list[tuple[list[dict], asyncio.Future]] = []

    @contextlib.contextmanager
    def sending(self) -> Iterator[None]:
        yield

    def submit(self, rows: list[dict]) -> asyncio.Future:
        self.pending.append((list(rows), asyncio.get_running_loop().create_future()))
        return self.pending[-1][1]

    async def mark(self, rows: list[dict]) -> None:
        if rows:
            await self.submit(rows)


@pytest.fixture
async def db(tmp_path):
    async with migrated("notifications", f"sqlite:///{tmp_path / 'notifications.sqlite3'}") as database:
        yield database


async def stage(db, settings, n: int) -> None:
    starts = utcnow() + timedelta(days=2)
    notices = [
        RegistrantNotice(
            registration_id=f"r{i}",
            event_id="e1",
            kind="confirmed",
            email=f"person{i}@example.org",
            name="Anna",
            event_title="Handwerkerfrühstück",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            venue="Rathaus Bottrop",
            cancel_url=f"http://events.test/registrations/r{i}/cancel?token=t{i}",
        )
        for i in range(n)
    ]
    rows = [
        mail_row(
            settings,
            event_id=f"event-{i}",
            event_type="events.registration.notice",
            template="registration",
            recipient=notice.email,
            lang="de",
            context=notice.model_dump(mode="json"),
        )
        for i, notice in enumerate(notices)
    ]
    async with db.transaction() as session:
        assert await SqlRepository(session).stage(rows) == n


async def statuses(db) -> list[str]:
    async with db.reading() as session:
        D = models.deliveries
        return list((await session.execute(select(D.c.status).order_by(D.c.event_id))).scalars())


SETTINGS = NotificationsSettings(sender_connections=1, mark_sent_batch=1)


@pytest.fixture
def marks() -> HeldMarks:
    return HeldMarks()


@pytest.fixture
async def sender(db, smtp, marks):
    sender = MailSender(db, "127.0.0.1", smtp.port, SETTINGS, marks)
    yield sender
    await sender.close()


async def test_a_mail_is_not_accepted_before_the_mark_of_the_previous_one_is_committed(db, smtp, marks, sender):
    await stage(db, SETTINGS, 2)
    step = asyncio.create_task(sender.step())
    try:
        # The second mail's envelope is out while the first one's mark is still open...
        assert await until(lambda: len(smtp.handler.envelopes) == 2, timeout=10)
        assert len(smtp.messages) == 1  # ...and its DATA waits for that mark
        marks.pending[0][1].set_result(None)
        assert await until(lambda: len(smtp.messages) == 2, timeout=10)
        assert await until(lambda: len(marks.pending) == 2, timeout=10)
        marks.pending[1][1].set_result(None)
        assert await asyncio.wait_for(step, 10) == 2
    finally:
        step.cancel()
    assert [rows[0]["recipient"] for rows, _ in marks.pending] == ["person0@example.org", "person1@example.org"]


async def test_when_a_mark_fails_the_next_mail_is_not_sent_and_the_connection_stays_usable(db, smtp, marks, sender):
    from services.notifications.mailer import outgoing

    await stage(db, SETTINGS, 3)
    step = asyncio.create_task(sender.step())
    try:
        assert await until(lambda: len(smtp.handler.envelopes) == 2, timeout=10)
        marks.pending[0][1].set_exception(RuntimeError("the database went away"))
        with pytest.raises(RuntimeError, match="went away"):
            await asyncio.wait_for(step, 10)
    finally:
        step.cancel()
    assert len(smtp.messages) == 1  # the second mail's envelope was dropped, the third never started
    # Nothing was marked: the claimed rows stay 'sending' until their lease ends, then go again
    # (the first one with the same Message-ID, which the receiving side can drop).
    assert await statuses(db) == ["sending", "sending", "sending"]
    async with db.reading() as session:
        row = dict((await session.execute(select(models.deliveries))).mappings().first())
    await sender.connection.send(outgoing(row, SETTINGS.mail_from))
    assert len(smtp.messages) == 2


async def test_a_sender_stopped_while_the_server_takes_a_mail_marks_it_before_it_stops(db, smtp):
    """A stop (the task cancelled: SIGTERM, a rolling upgrade) while the server holds back its answer to
    DATA: the mail went out, so the sender waits for the answer and marks it 'sent' before it ends.
    Cut off there, it stayed 'sending' and another instance mailed it again when its lease ran out."""
    import threading

    answer_now = threading.Event()
    record = smtp.handler.handle_DATA

    async def held_data(server, session, envelope):  # the server's own loop: wait without blocking it
        answered = await record(server, session, envelope)
        while not answer_now.is_set():
            await asyncio.sleep(0.01)
        return answered

    smtp.handler.handle_DATA = held_data
    await stage(db, SETTINGS, 1)
    sender = MailSender(db, "127.0.0.1", smtp.port, SETTINGS)  # the real group commit of marks
    try:
        step = asyncio.create_task(sender.step())
        assert await until(lambda: len(smtp.messages) == 1, timeout=10)  # DATA is in, its answer held
        step.cancel()
        await asyncio.sleep(0.2)
        assert not step.done()  # it waits for the server's answer instead of cutting it off
        answer_now.set()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(step, 10)
    finally:
        answer_now.set()
        await sender.close()
    assert await statuses(db) == ["sent"]


async def test_a_claimed_mail_whose_lease_is_about_to_end_is_left_for_the_next_claim(db, smtp, marks):
    """After its lease another sender may claim the row and send it too: the old claimer stops
    sending its batch once less than one SMTP timeout (at most half the lease) is left."""
    settings = NotificationsSettings(sender_connections=1, mark_sent_batch=1, sending_lease_s=1.0)
    sender = MailSender(db, "127.0.0.1", smtp.port, settings, marks)
    await stage(db, settings, 3)
    step = asyncio.create_task(sender.step())
    try:
        assert await until(lambda: len(marks.pending) == 1, timeout=10)
        await asyncio.sleep(0.7)  # the first mark commits late: half of the 1 s lease is gone
        marks.pending[0][1].set_result(None)
        assert await until(lambda: len(marks.pending) == 2, timeout=10)
        marks.pending[1][1].set_result(None)
        assert await asyncio.wait_for(step, 10) == 3
    finally:
        step.cancel()
        await sender.close()
    assert [m["To"] for m in smtp.messages] == ["person0@example.org", "person1@example.org"]
    assert await statuses(db) == ["sending", "sending", "sending"]  # the third goes again after its lease


async def test_the_sent_marks_go_to_the_database_thread_with_their_commit(db, monkeypatch):
    """A mark runs between two mails of a connection: BEGIN IMMEDIATE, then the UPDATE, the outbox rows
    and the COMMIT in one hand-over to SQLite's thread (they were one each)."""
    await stage(db, SETTINGS, 3)
    rows = await claim(db, "email", 3, lease_s=60)
    calls = record_hand_overs(monkeypatch)
    await SentMarks(db).mark(rows)
    monkeypatch.undo()
    assert calls == ["_execute_and_fetch", "_run_and_commit"], calls
    assert await statuses(db) == ["sent"] * 3
    async with db.reading() as session:
        subjects = (await session.execute(select(models.outbox.c.subject))).scalars().all()
    assert sorted(subjects) == sorted(f"hallobot.{DeliverySent.TYPE}.{row['id']}" for row in rows)


async def test_a_claim_takes_its_rows_in_three_hand_overs_and_leases_them(db, monkeypatch):
    await stage(db, SETTINGS, 3)
    calls = record_hand_overs(monkeypatch)
    rows = await claim(db, "email", 2, lease_s=60)
    monkeypatch.undo()
    assert calls == ["_execute_and_fetch", "_execute_and_fetch", "_run_and_commit"], calls  # BEGIN, the due rows
    assert len(rows) == 2 and all(row["lease_until"] > utcnow() for row in rows)
    assert sorted(await statuses(db)) == ["pending", "sending", "sending"]
    assert len(await claim(db, "email", 5, lease_s=60)) == 1  # leased rows are not due again


async def test_a_commit_of_marks_waits_for_the_mark_of_every_connection_that_is_sending(db):
    """Two connections inside a batch: the first one's mark is not committed alone but with the
    second one's, in one transaction (`SentMarks.gather_s` bounds the wait, here far above it)."""
    await stage(db, SETTINGS, 2)
    first, second = await claim(db, "email", 2, lease_s=60)
    marks = SentMarks(db, gather_s=30.0)
    with marks.sending(), marks.sending():
        first_committed = marks.submit([first])
        await asyncio.sleep(0.3)
        assert not first_committed.done()  # waits for the other connection's mark
        second_committed = marks.submit([second])
        await asyncio.wait_for(asyncio.gather(first_committed, second_committed), 10)
    assert await statuses(db) == ["sent", "sent"]
    async with db.reading() as session:
        D = models.deliveries
        assert len(set((await session.execute(select(D.c.sent_at))).scalars())) == 1  # one commit


async def test_a_lone_connection_and_one_that_stops_sending_are_not_waited_for(db):
    await stage(db, SETTINGS, 2)
    first, second = await claim(db, "email", 2, lease_s=60)
    marks = SentMarks(db, gather_s=30.0)
    with marks.sending():
        await asyncio.wait_for(marks.mark([first]), 10)  # the only connection sending: committed at once
    with marks.sending():
        committed = marks.submit([second])
        with marks.sending():  # a second connection whose batch ends without a mail accepted
            await asyncio.sleep(0.3)
            assert not committed.done()
        await asyncio.wait_for(committed, 10)
    assert await statuses(db) == ["sent", "sent"]


async def test_a_connection_that_is_slow_to_send_holds_up_the_others_marks_at_most_gather_s(db):
    await stage(db, SETTINGS, 1)
    (row,) = await claim(db, "email", 1, lease_s=60)
    marks = SentMarks(db, gather_s=0.2)
    with marks.sending(), marks.sending():  # the other connection never sends its mark
        await asyncio.wait_for(marks.mark([row]), 10)
    assert await statuses(db) == ["sent"]
