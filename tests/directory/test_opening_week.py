"""The week of opening hours on the owner's page and the OSM expression it stands for (pure)."""

from __future__ import annotations

import pytest

from services.directory.opening_week import Week, from_osm, to_osm
from services.directory.owner_forms import week_of_form
from services.directory.profile_checks import parse_opening_hours


def test_days_with_the_same_hours_become_one_range_and_holidays_closed_is_ph_off():
    week = Week({day: ("09:00", "18:00") for day in ("Mo", "Tu", "We", "Th", "Fr")} | {"Sa": ("09:00", "14:00")})
    assert to_osm(week) == "Mo-Fr 09:00-18:00; Sa 09:00-14:00; PH off"
    assert to_osm(Week({"Mo": ("09:00", "12:00"), "We": ("09:00", "12:00")}, holidays_closed=False)) == (
        "Mo 09:00-12:00; We 09:00-12:00"
    )
    assert to_osm(Week({}, holidays_closed=True)) is None  # closed every day: no opening hours at all
    parse_opening_hours(to_osm(week))  # the profile's own check takes it


@pytest.mark.parametrize(
    "expression", ["Mo-Fr 07:00-18:00; Sa 07:00-13:00; PH off", "Mo,We 09:00-12:00", "Su 10:00-02:00"]
)
def test_a_simple_expression_reads_back_as_the_same_week(expression):
    week = from_osm(expression)
    assert week is not None and from_osm(to_osm(week)) == week


@pytest.mark.parametrize(
    "expression",
    ["Mo-Fr 08:00-12:00,14:00-18:00", "Jan-Mar Mo 09:00-12:00", 'Mo 09:00-18:00 "nach Absprache"', "Sa-Mo 10:00-12:00"],
)
def test_what_the_week_cannot_show_reads_back_as_none(expression):
    assert from_osm(expression) is None


def test_the_form_needs_both_times_of_a_day_and_real_times():
    week, errors = week_of_form({"mo_von": "09:00", "mo_bis": "18:00", "tu_von": "09:00", "we_bis": "9 Uhr"}, str)
    assert week.hours == {"Mo": ("09:00", "18:00")} and not week.holidays_closed
    assert set(errors) == {"tu_bis", "we_von", "we_bis"}
