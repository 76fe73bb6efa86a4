"""Pure rules of profiles and of the Fairtrade-Town campaign, with exact times; no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.directory import domain, fairtrade, profile_checks, search_text
from services.directory.fairtrade import CampaignFacts
from shared.errors import Conflict, Invalid

HOURS = "Mo-Fr 09:00-18:00; Sa 09:00-14:00; PH off"


def test_opening_hours_are_evaluated_in_berlin_time_with_german_holidays():
    assert profile_checks.is_open(HOURS, datetime(2025, 6, 2, 7, 30, tzinfo=UTC)) is True  # Monday 09:30 CEST
    assert profile_checks.is_open(HOURS, datetime(2025, 6, 2, 6, 30, tzinfo=UTC)) is False  # Monday 08:30 CEST
    assert profile_checks.is_open(HOURS, datetime(2025, 6, 7, 11, 0, tzinfo=UTC)) is True  # Saturday 13:00
    assert profile_checks.is_open(HOURS, datetime(2025, 10, 3, 10, 0, tzinfo=UTC)) is False  # Tag der Deutschen Einheit
    assert profile_checks.is_open(None, datetime(2025, 6, 2, 10, tzinfo=UTC)) is None


def test_invalid_opening_hours_name_the_field():
    with pytest.raises(Invalid) as error:
        profile_checks.parse_opening_hours("werktags 9 bis 18")
    assert error.value.field == "opening_hours"


def test_coordinates_go_in_pairs_and_must_lie_around_bottrop():
    profile_checks.check_coordinates(51.5236, 6.929)
    profile_checks.check_coordinates(None, None)
    for lat, lon, field in ((51.5, None, "longitude"), (6.929, 51.52, "latitude"), (51.5, 13.4, "longitude")):
        with pytest.raises(Invalid) as error:
            profile_checks.check_coordinates(lat, lon)
        assert error.value.field == field


def test_archived_is_final_and_only_a_published_profile_can_be_unpublished():
    domain.check_transition("pending", "published")
    domain.check_transition("unpublished", "published")
    for current, target in (("archived", "published"), ("pending", "unpublished"), ("archived", "archived")):
        with pytest.raises(Conflict):
            domain.check_transition(current, target)


def test_a_profile_is_stale_six_calendar_months_after_its_last_touch():
    touched = datetime(2025, 8, 31, 12, 0, tzinfo=UTC)
    assert not profile_checks.is_stale(touched, datetime(2026, 2, 28, 11, 59, tzinfo=UTC))
    assert profile_checks.is_stale(touched, datetime(2026, 2, 28, 12, 0, tzinfo=UTC))  # no 31 February: end of month


def test_completeness_counts_the_useful_optional_parts():
    assert profile_checks.completeness({"name": "x", "category": "handwerk"}) == (
        0,
        list(profile_checks.COMPLETENESS_CHECKS),
    )
    score, missing = profile_checks.completeness(
        {
            "description": "y" * 30,
            "offerings": ["Brot"],
            "phone": "1",
            "email": "a@b.de",
            "street": "Hochstr. 1",
            "postal_code": "46236",
        }
    )
    assert (score, missing) == (62, ["website", "coordinates", "opening_hours"])


def test_search_terms_are_folded_and_lightly_stemmed():
    assert search_text.search_terms("Bäckereien in Süd") == ["baeckerei", "in", "sued"]
    assert search_text.fold("Straße Café") == "strasse cafe"


def test_targets_follow_the_published_points_and_bottrop_is_interpolated_upwards():
    assert fairtrade.shop_targets(30_000) == (6, 3)
    assert fairtrade.shop_targets(100_000) == (20, 10)
    assert fairtrade.shop_targets(250_000) == (35, 18)
    assert fairtrade.shop_targets(117_000) == (22, 11)
    assert fairtrade.shop_targets(10_000) == (6, 3) and fairtrade.shop_targets(600_000) == (35, 18)


def _all_met(**overrides) -> CampaignFacts:
    facts = dict(
        population=117_000,
        council_resolution_on=date(2024, 5, 1),
        council_resolution_text="Beschluss",
        steering_group=("Stadt", "Weltladen", "Kirche"),
        retail=22,
        gastronomy=11,
        actions={"school": 1, "association": 1, "faith_community": 1},
        press_articles=4,
    )
    return CampaignFacts(**(facts | overrides))


def test_retail_and_gastronomy_are_one_criterion_met_only_when_both_reach_their_target():
    assert fairtrade.evaluate(_all_met())["retail_gastronomy"].met
    status = fairtrade.evaluate(_all_met(retail=40, gastronomy=10))["retail_gastronomy"]
    assert not status.met and (status.count, status.target) == (32, 33)
    assert status.detail == {"retail": 40, "retail_target": 22, "gastronomy": 10, "gastronomy_target": 11}


def test_a_crossing_is_announced_once_and_the_last_criterion_brings_the_milestone():
    today = date(2025, 6, 1)
    before = {name: True for name in fairtrade.CRITERIA} | {"retail_gastronomy": False}
    events = fairtrade.changes(before, fairtrade.evaluate(_all_met()), today)
    assert [(e.TYPE, getattr(e, "criterion", getattr(e, "milestone", None))) for e in events] == [
        ("fairtrade.criterion.met", "retail_gastronomy"),
        ("fairtrade.milestone.reached", "all_criteria_met"),
    ]
    now_all = {name: True for name in fairtrade.CRITERIA}
    assert fairtrade.changes(now_all, fairtrade.evaluate(_all_met()), today) == []
    lost = fairtrade.changes(now_all, fairtrade.evaluate(_all_met(press_articles=3)), today)
    assert [(e.TYPE, e.criterion, e.count, e.target) for e in lost] == [("fairtrade.criterion.lost", "press", 3, 4)]


def test_the_civil_society_needs_a_school_an_association_and_a_faith_community():
    status = fairtrade.evaluate(_all_met(actions={"school": 3, "association": 1}))["civil_society"]
    assert not status.met and (status.count, status.target) == (2, 3)
    big = fairtrade.evaluate(_all_met(population=250_000))["civil_society"]
    assert not big.met and big.target == 6


def test_the_title_lasts_two_years_and_reminders_come_at_90_30_and_7_days_once_each():
    expires = fairtrade.title_expires_on(date(2024, 3, 1), date(2025, 2, 1))
    assert expires == date(2027, 2, 1)
    assert fairtrade.reminder_due(expires, date(2026, 11, 2), set()) == (None, set())  # 91 days left
    assert fairtrade.reminder_due(expires, date(2026, 11, 3), set()) == (90, {90})
    assert fairtrade.reminder_due(expires, date(2026, 11, 4), {90}) == (None, set())
    # after a pause across two thresholds: one reminder, both settled
    assert fairtrade.reminder_due(expires, date(2027, 1, 20), {90}) == (30, {30})
    assert fairtrade.reminder_due(expires, date(2027, 1, 28), set()) == (7, {90, 30, 7})
    assert fairtrade.reminder_due(expires, date(2027, 2, 2), set()) == (None, set())  # expired
    assert fairtrade.title_expires_on(date(2024, 2, 29), None) == date(2026, 2, 28)


def test_the_dossier_period_is_the_two_years_before_the_next_renewal_and_at_most_ten_years():
    from services.directory.fairtrade import TitleDates, check_period, dossier_period

    bottrop = TitleDates(
        (("awarded", date(2021, 11, 26)), ("renewed", date(2023, 11, 26)), ("renewed", date(2025, 11, 26)))
    )
    assert (bottrop.awarded_on, bottrop.renewed_on, bottrop.expires_on) == (
        date(2021, 11, 26), date(2025, 11, 26), date(2027, 11, 26),
    )  # fmt: skip
    assert dossier_period(bottrop, date(2026, 11, 26)) == (date(2025, 11, 26), date(2027, 11, 26))
    assert dossier_period(TitleDates(), date(2026, 11, 26)) == (date(2024, 11, 26), date(2026, 11, 26))
    check_period(date(2016, 1, 1), date(2026, 1, 1))
    for start, end in ((date(2026, 1, 2), date(2026, 1, 1)), (date(2015, 12, 31), date(2026, 1, 1))):
        with pytest.raises(Invalid):
            check_period(start, end)
