"""The rules of events and registrations, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.events import domain_times as domain
from services.events.domain import Event
from shared.errors import Conflict

START = datetime(2031, 3, 10, 17, 0, tzinfo=UTC)


def rules(**overrides) -> Event:
    values = dict(
        id="e1",
        kind="event",
        status="published",
        title="Workshop",
        series=None,
        description="",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        venue="Rathaus",
        online_url=None,
        capacity=2,
        waitlist=True,
        registration_opens_at=None,
        registration_closes_at=None,
    )
    return Event(**(values | overrides))


def test_places_are_given_until_capacity_then_the_waitlist_takes_positions():
    assert rules().place(confirmed=1, waitlisted=0) == ("confirmed", None)
    assert rules().place(confirmed=2, waitlisted=0) == ("waitlisted", 1)
    assert rules().place(confirmed=2, waitlisted=4) == ("waitlisted", 5)
    assert rules(capacity=None).place(confirmed=10_000, waitlisted=0) == ("confirmed", None)


def test_a_full_event_without_waitlist_refuses():
    with pytest.raises(Conflict, match="fully booked"):
        rules(waitlist=False).place(confirmed=2, waitlisted=0)


def test_promotion_takes_the_first_on_the_waitlist_for_each_free_place():
    assert rules().to_promote(confirmed=1, waitlist_in_order=["a", "b", "c"]) == ["a"]
    assert rules(capacity=4).to_promote(confirmed=1, waitlist_in_order=["a", "b", "c", "d"]) == ["a", "b", "c"]
    assert rules().to_promote(confirmed=2, waitlist_in_order=["a"]) == []


@pytest.mark.parametrize(
    ("overrides", "now", "message"),
    [
        ({"status": "cancelled"}, START - timedelta(days=1), "cancelled"),
        ({"status": "draft"}, START - timedelta(days=1), "not published"),
        ({"registration_opens_at": START - timedelta(days=2)}, START - timedelta(days=3), "not opened"),
        ({"registration_closes_at": START - timedelta(days=1)}, START - timedelta(days=1), "closed"),
        ({}, START, "closed"),
    ],
)
def test_registration_is_open_only_inside_the_window_of_a_published_event(overrides, now, message):
    with pytest.raises(Conflict, match=message):
        rules(**overrides).check_open(now)


def test_a_weekly_series_keeps_its_berlin_wall_clock_time_across_the_clock_change():
    first = datetime(2031, 3, 23, 18, 0, tzinfo=domain.BERLIN)
    dates = domain.occurrences(first, timedelta(hours=2), "weekly", 3)
    assert [s.astimezone(domain.BERLIN).hour for s, _ in dates] == [18, 18, 18]
    assert [s.astimezone(UTC).hour for s, _ in dates] == [17, 16, 16]
    assert all(e - s == timedelta(hours=2) for s, e in dates)


def test_the_reminder_is_due_from_the_start_of_the_day_before_until_the_event_begins():
    start = datetime(2031, 3, 10, 8, 0, tzinfo=domain.BERLIN)
    assert not domain.reminder_due(start, None, datetime(2031, 3, 8, 23, 59, tzinfo=domain.BERLIN))
    assert domain.reminder_due(start, None, datetime(2031, 3, 9, 0, 0, tzinfo=domain.BERLIN))
    assert not domain.reminder_due(start, START, datetime(2031, 3, 9, 12, 0, tzinfo=domain.BERLIN))
    assert not domain.reminder_due(start, None, start)


def test_a_naive_time_means_bottrop_time_and_addresses_compare_case_insensitively():
    assert domain.in_berlin(datetime(2031, 7, 1, 10, 0)) == datetime(2031, 7, 1, 8, 0, tzinfo=UTC)
    assert domain.email_key(" Anna@Example.ORG ") == "anna@example.org"
