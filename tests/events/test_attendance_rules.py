"""The rules of check-in, the attendance summary and reconfirmation, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.events import domain_attendance as attendance
from services.events.domain import Registrant
from shared.catalog import (
    EventAttendanceClosed,
    RegistrantNotice,
    RegistrationAttendanceUndone,
    RegistrationAttended,
    RegistrationReconfirmationRequested,
    RegistrationReconfirmed,
    RegistrationReleased,
)
from shared.errors import Conflict, Invalid
from tests.events.test_domain import START, rules

DAY = timedelta(hours=24)  # the list closes a day after the end (EVENTS_ATTENDANCE_CLOSES_AFTER_H)
DEADLINE = timedelta(hours=24)  # unconfirmed places go a day before the start (EVENTS_RECONFIRM_DEADLINE_H)


def person(n: int, status: str = "confirmed", **fields) -> Registrant:
    return Registrant(f"r{n}", "e1", status, name=f"P{n}", email=f"p{n}@example.org", seq=n, **fields)


def test_check_in_opens_at_midnight_of_the_event_day_in_bottrop_and_closes_a_day_after_the_end():
    event = rules()  # 18:00 Berlin on 10 March
    assert attendance.check_in_opens(event) == datetime(2031, 3, 9, 23, 0, tzinfo=UTC)
    with pytest.raises(Conflict, match="Tag der Veranstaltung"):
        attendance.check_in(event, person(1), datetime(2031, 3, 9, 22, 59, tzinfo=UTC), DAY)
    assert attendance.check_in(event, person(1), datetime(2031, 3, 9, 23, 0, tzinfo=UTC), DAY)
    with pytest.raises(Conflict, match="abgeschlossen"):
        attendance.check_in(event, person(2), event.ends_at + DAY, DAY)


def test_a_check_in_is_recorded_once_and_can_be_taken_back():
    event, someone, now = rules(), person(1), START
    assert attendance.check_in(event, someone, now, DAY) and someone.attended_at == now
    assert not attendance.check_in(event, someone, now + timedelta(minutes=1), DAY)
    assert someone.attended_at == now
    assert attendance.undo_check_in(event, someone, now, DAY) and someone.attended_at is None
    assert not attendance.undo_check_in(event, someone, now, DAY)
    assert [type(e) for e in event.recorded] == [RegistrationAttended, RegistrationAttendanceUndone]
    assert event.recorded[0].model_dump() == {"registration_id": "r1", "event_id": "e1", "slot_id": None}


@pytest.mark.parametrize("status", ["waitlisted", "cancelled"])
def test_only_a_confirmed_place_can_be_checked_in(status):
    with pytest.raises(Conflict, match="Nur angemeldete"):
        attendance.check_in(rules(), person(1, status), START, DAY)


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_nobody_is_checked_in_at_an_event_that_is_not_held(status):
    with pytest.raises(Conflict):
        attendance.check_in(rules(status=status), person(1), START, DAY)


def test_the_summary_counts_who_came_and_who_did_not_with_the_series():
    event = rules(series="Handwerker-Frühstück")
    came = [person(n, attended_at=START) for n in range(3)]
    attendance.close_attendance(event, [*came, person(3), person(4)])
    (summary,) = event.recorded
    assert isinstance(summary, EventAttendanceClosed)
    assert (summary.series, summary.confirmed, summary.attended, summary.no_shows) == ("Handwerker-Frühstück", 5, 3, 2)
    assert summary.attendance_taken


def test_an_event_where_nobody_was_checked_in_has_no_no_shows_and_says_the_list_was_not_used():
    event = rules()
    attendance.close_attendance(event, [person(1), person(2)])
    (summary,) = event.recorded
    assert (summary.confirmed, summary.attended, summary.no_shows, summary.attendance_taken) == (2, 0, 0, False)


def test_attendance_is_closed_only_for_held_events_after_the_grace_time():
    assert not attendance.close_due(rules(), START + timedelta(hours=25), DAY)
    assert attendance.close_due(rules(), START + timedelta(hours=26), DAY)
    assert not attendance.close_due(rules(status="cancelled"), START + timedelta(days=5), DAY)


def test_the_job_asks_from_n_days_before_and_releases_from_the_deadline_until_the_start():
    event = rules(reconfirm=True, reconfirm_days_before=3)
    phase = attendance.reconfirm_phase
    assert phase(event, START - timedelta(days=3, seconds=1), DEADLINE) is None
    assert phase(event, START - timedelta(days=3), DEADLINE) == "ask"
    assert phase(event, START - DEADLINE - timedelta(seconds=1), DEADLINE) == "ask"
    assert phase(event, START - DEADLINE, DEADLINE) == "release"
    assert phase(event, START, DEADLINE) is None
    assert phase(rules(), START - timedelta(days=2), DEADLINE) is None  # not asked for
    assert phase(rules(reconfirm=True, status="cancelled"), START - timedelta(days=2), DEADLINE) is None


def test_asking_tells_each_confirmed_registrant_once_with_their_own_link_and_the_deadline():
    event = rules(reconfirm=True)
    already = person(2, reconfirm_requested_at=START - timedelta(days=2))
    deadline = attendance.reply_by(event, DEADLINE)
    attendance.ask(event, [person(1), already], deadline, {"r1": "https://x/bestaetigen?t=1"}, START - timedelta(2))
    requested = [e for e in event.recorded if isinstance(e, RegistrationReconfirmationRequested)]
    notices = [e for e in event.recorded if isinstance(e, RegistrantNotice)]
    assert [(e.registration_id, e.reply_by) for e in requested] == [("r1", START - DEADLINE)]
    assert [(n.kind, n.reconfirm_url, n.reply_by) for n in notices] == [
        ("reconfirm", "https://x/bestaetigen?t=1", START - DEADLINE)
    ]
    assert "email" not in requested[0].model_dump()


def test_a_reconfirmation_counts_once_and_only_for_an_asked_place():
    event = rules(reconfirm=True)
    asked = person(1, reconfirm_requested_at=START - timedelta(days=2))
    assert attendance.reconfirm(event, asked, START - timedelta(days=1, hours=12))
    assert not attendance.reconfirm(event, asked, START - timedelta(days=1, hours=11))
    assert not attendance.reconfirm(event, person(2), START)  # registered after the question: nothing to do
    assert [type(e) for e in event.recorded] == [RegistrationReconfirmed]
    with pytest.raises(Conflict):
        attendance.reconfirm(event, person(3, "cancelled", reconfirm_requested_at=START), START)


def test_at_the_deadline_only_the_asked_who_did_not_answer_lose_their_place():
    asked_at = START - timedelta(days=2)
    people = [
        person(1, reconfirm_requested_at=asked_at, reconfirmed_at=asked_at + timedelta(hours=1)),
        person(2, reconfirm_requested_at=asked_at),
        person(3),  # came later, was never asked
    ]
    silent = attendance.unconfirmed(people)
    assert [r.id for r in silent] == ["r2"]
    event = rules(reconfirm=True)
    attendance.release(event, silent)
    assert people[1].status == "cancelled"
    assert [type(e) for e in event.recorded] == [RegistrationReleased, RegistrantNotice]
    assert event.recorded[1].kind == "released"


def test_only_events_with_places_may_ask_and_only_two_to_fourteen_days_before():
    attendance.check_reconfirm_setting(rules(reconfirm=True, reconfirm_days_before=14))
    with pytest.raises(Invalid) as refused:
        attendance.check_reconfirm_setting(rules(kind="consultation", reconfirm=True))
    assert refused.value.field == "reconfirm"
    with pytest.raises(Invalid):
        attendance.check_reconfirm_setting(rules(reconfirm=True, reconfirm_days_before=1))
