"""Opening hours as the business page shows them: the coming seven days in Bottrop's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.directory.opening_days import days_ahead, next_change
from services.directory.profile_checks import BERLIN

# Wednesday 23 December 2026, 13:00 in Bottrop; Friday and Saturday are Christmas holidays.
NOON = datetime(2026, 12, 23, 12, 0, tzinfo=UTC)


def test_the_page_shows_today_and_six_more_days_with_public_holidays_applied():
    days = days_ahead("Mo-Fr 07:00-18:00; Sa 07:00-13:00; PH off", NOON)
    assert days[0].day == date(2026, 12, 23) and len(days) == 7
    assert {d.day: d.spans for d in days} == {
        date(2026, 12, 23): (("07:00", "18:00"),),
        date(2026, 12, 24): (("07:00", "18:00"),),
        date(2026, 12, 25): (),  # 1. Weihnachtstag
        date(2026, 12, 26): (),  # 2. Weihnachtstag, a Saturday
        date(2026, 12, 27): (),
        date(2026, 12, 28): (("07:00", "18:00"),),
        date(2026, 12, 29): (("07:00", "18:00"),),
    }


def test_a_span_across_midnight_shows_on_both_days_and_round_the_clock_is_one_span():
    night = {d.day: d.spans for d in days_ahead("Mo-Fr 22:00-03:00", NOON)}
    assert night[date(2026, 12, 23)] == (("00:00", "03:00"), ("22:00", "24:00"))  # Tuesday's night, then its own
    assert night[date(2026, 12, 26)] == (("00:00", "03:00"),)  # Saturday: the end of Friday's night
    assert night[date(2026, 12, 27)] == ()
    assert all(d.all_day for d in days_ahead("24/7", NOON))


def test_the_next_change_is_when_it_closes_or_opens_next_in_bottrop_time():
    assert next_change("Mo-Fr 09:00-12:00,14:00-18:00", NOON) == datetime(2026, 12, 23, 14, 0, tzinfo=BERLIN)
    assert next_change("24/7", NOON) is None
