"""The impact monitor's rules without I/O: periods in Bottrop's months, which counts are suppressed,
rates and medians, completeness from `changed`, hotspot availability, what a batch of events changes,
and that a chart draws nothing where the table says "< 5"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.monitor_charts import nice_top, svg
from services.notifications.monitor_effects import Effects
from services.notifications.monitor_figures import Figure
from services.notifications.monitor_rules import (
    Period,
    availability,
    median,
    month_of,
    parts_count,
    parts_named,
    period,
    plotted,
    rate,
    shown,
)
from shared.catalog import BusinessRegistered, DeliverySent, RegistrationConfirmed
from shared.envelope import CloudEvent
from shared.errors import Invalid

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_counts_of_one_to_four_about_people_are_shown_as_under_five():
    assert [shown(n, personal=True) for n in (0, 1, 4, 5, 120)] == [0, "< 5", "< 5", 5, 120]


def test_counts_about_businesses_and_machines_are_shown_as_they_are():
    assert [shown(n, personal=False) for n in (1, 4)] == [1, 4]


def test_a_chart_draws_no_bar_where_the_table_suppresses_the_count():
    assert plotted(3, personal=True) is None
    assert plotted(7, personal=True) == 7.0


def test_a_rate_needs_five_in_its_whole():
    assert rate(1, 4) is None
    assert rate(4, 20) == 20.0


def test_the_median_of_an_even_count_is_the_middle_of_the_two_middle_values():
    assert median([1, 2, 3, 4, 6, 10]) == 3.5
    assert median([]) is None


def test_months_are_counted_in_bottrop_not_in_utc():
    new_year_in_bottrop = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    assert month_of(new_year_in_bottrop) == "2026-01"


def test_without_a_choice_the_period_is_the_last_twelve_months():
    assert period(None, None, NOW) == Period("2025-12", "2026-11")
    assert period("2026-01", None, NOW) == Period("2026-01", "2026-12")
    assert Period("2025-11", "2026-02").months == ["2025-11", "2025-12", "2026-01", "2026-02"]


@pytest.mark.parametrize(
    ("first", "last"), [("2026-13", "2026-12"), ("2026-05", "2026-01"), ("2001-01", "2026-01"), ("26-1", None)]
)
def test_a_period_that_cannot_be_is_refused(first, last):
    with pytest.raises(Invalid):
        period(first, last, NOW)


def test_completeness_counts_the_parts_an_update_named_once_each():
    mask = parts_named(["street", "postal_code", "latitude", "phone", "name"]) | parts_named(["phone"])
    assert parts_count(mask) == 3  # address, coordinates, phone; the name is no part


def test_availability_leaves_out_maintenance_and_the_time_before_the_first_status():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 11, tzinfo=UTC)
    changes = [
        (start + timedelta(days=1), "up"),
        (start + timedelta(days=4), "maintenance"),
        (start + timedelta(days=6), "down"),
        (start + timedelta(days=7), "degraded"),
    ]
    # observed: up 3 days, down 1, degraded 3 (maintenance and the first day left out) → 6 of 7
    assert availability(changes, start, end, NOW) == round(100 * 6 / 7, 2)
    assert availability([], start, end, NOW) is None


def test_a_batch_turns_an_event_with_an_actor_into_an_audit_row_and_counts_each_kind():
    effects = Effects()
    registered = BusinessRegistered(business_id="b1", category="handel", self_registered=False).to_event()
    effects.add(CloudEvent(**registered.model_dump(), actor="bootstrap"))
    effects.add(RegistrationConfirmed(registration_id="r1", event_id="e1").to_event())
    effects.add(DeliverySent(delivery_id="d1", channel="email", recipient="psn_1", event_id="x").to_event())
    assert [(row["actor"], row["area"], row["type"]) for row in effects.audit] == [
        ("bootstrap", "directory", "directory.business.registered")
    ]
    assert effects.new_profiles[0]["self_registered"] is False
    assert effects.new_registrations[0]["waitlisted"] is False
    assert sum(effects.counts.values()) == 1


def test_a_type_the_monitor_does_not_know_changes_nothing_but_the_audit_trail():
    effects = Effects()
    unknown = CloudEvent(
        id="1", source="/hallobot/events", type="de.bottrop.hallobot.events.room.booked", time=NOW, actor="a1"
    )
    effects.add(unknown)
    assert len(effects.audit) == 1 and not effects.new_registrations and not effects.counts


def test_the_axis_ends_at_a_round_value():
    assert [nice_top(v) for v in (0, 3, 7, 26, 100, 101)] == [1.0, 5, 10, 50, 100, 200]


def test_the_chart_names_its_figure_and_each_bar():
    figure = Figure(
        key="x", title="Nachgerückt", definition="", columns=["Monat", "nachgerückt"],
        rows=[["Jan. 2026", "< 5"], ["Feb. 2026", 7]], csv_labels=["2026-01", "2026-02"], charted=[1],
        plot=[[None], [7.0]],
    )  # fmt: skip
    chart = str(svg(figure, "d"))
    assert '<title id="d-title">Nachgerückt</title>' in chart
    assert chart.count("<rect x=") == 1 + 1  # one bar (the suppressed month has none) and the legend's swatch
    assert "Feb. 2026, nachgerückt: 7" in chart
