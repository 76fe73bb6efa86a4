"""The five Fairtrade-Town criteria, the targets by population and the title's reminders; no I/O.

Targets for shops and gastronomy come from the published data points (inhabitants → shops/gastronomy):
30,000 → 6/3, 100,000 → 20/10, ~250,000 → 35/18. Between two points we interpolate linearly and round
up (a town has to reach at least the interpolated number); outside the table the nearest end applies.
Bottrop (≈117,000): 20 + 15·17/150 = 21.7 → 22 shops, 10 + 8·17/150 = 10.9 → 11 gastronomy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Literal

from services.directory.domain import BERLIN, CATEGORIES
from shared.catalog import CriterionLost, CriterionMet, EventData, MilestoneReached, RecertificationDue
from shared.errors import Conflict, Invalid

CRITERIA = ("council_resolution", "steering_group", "retail_gastronomy", "civil_society", "press")
DEFAULT_TARGETS: tuple[tuple[int, int, int], ...] = ((30_000, 6, 3), (100_000, 20, 10), (250_000, 35, 18))
MIN_FAIRTRADE_PRODUCTS = 2  # a shop or restaurant counts when it offers at least two Fairtrade products
STEERING_GROUP_MIN = 3
CIVIL_SOCIETY_KINDS = ("kita", "school", "association", "faith_community")
# What the civil society criterion asks for, part by part: the city counts Kitas together with schools
# (education), so an action of either meets that part; the criterion needs each part.
CIVIL_SOCIETY_PARTS: dict[str, tuple[str, ...]] = {
    "education": ("kita", "school"),
    "association": ("association",),
    "faith_community": ("faith_community",),
}
LARGE_CITY = 200_000  # from here on two actions of each kind per year (assumption; the brief names < 200,000)
TITLE_YEARS = 2
REMINDER_DAYS = (90, 30, 7)
Targets = Sequence[tuple[int, int, int]]


def berlin_today(now: datetime) -> date:
    """Years, deadlines and reminders count in Bottrop's calendar."""
    return now.astimezone(BERLIN).date()


def shop_targets(population: int, table: Targets = DEFAULT_TARGETS) -> tuple[int, int]:
    """(shops, gastronomy) a town of `population` needs, interpolated in `table`."""
    points = sorted(table)
    if population <= points[0][0]:
        return points[0][1], points[0][2]
    if population >= points[-1][0]:
        return points[-1][1], points[-1][2]
    for (p0, s0, g0), (p1, s1, g1) in itertools.pairwise(points):
        if p0 <= population <= p1:
            share = Fraction(population - p0, p1 - p0)
            return math.ceil(s0 + (s1 - s0) * share), math.ceil(g0 + (g1 - g0) * share)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class CampaignFacts:
    """What the criteria are counted from, for the current calendar year."""

    population: int
    council_resolution_on: date | None = None
    council_resolution_text: str | None = None
    steering_group: tuple[str, ...] = ()
    retail: int = 0  # published retail profiles with ≥ 2 Fairtrade products
    gastronomy: int = 0
    actions: dict[str, int] = field(default_factory=dict)  # civil society kind → actions this year
    press_articles: int = 0  # this year
    press_target: int = 4


def shop_groups(per_category: Mapping[str, int]) -> dict[str, int]:
    """Profiles per category → (retail, gastronomy) counts; other categories do not count."""
    groups = {"retail": 0, "gastronomy": 0}
    for category, count in per_category.items():
        group = CATEGORIES[category].fairtrade_group
        if group:
            groups[group] += count
    return groups


@dataclass(frozen=True)
class CriterionStatus:
    criterion: str
    count: int
    target: int
    detail: dict[str, int] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return self.count >= self.target


def evaluate(facts: CampaignFacts, table: Targets = DEFAULT_TARGETS) -> dict[str, CriterionStatus]:
    shops, gastro = shop_targets(facts.population, table)
    per_kind = 2 if facts.population >= LARGE_CITY else 1
    # One criterion, two counts: the count is capped per part, so it reaches the target only when both do.
    retail_gastro = CriterionStatus(
        "retail_gastronomy",
        min(facts.retail, shops) + min(facts.gastronomy, gastro),
        shops + gastro,
        {"retail": facts.retail, "retail_target": shops, "gastronomy": facts.gastronomy, "gastronomy_target": gastro},
    )
    civil = CriterionStatus(
        "civil_society",
        sum(min(sum(facts.actions.get(kind, 0) for kind in kinds), per_kind) for kinds in CIVIL_SOCIETY_PARTS.values()),
        per_kind * len(CIVIL_SOCIETY_PARTS),
        {kind: facts.actions.get(kind, 0) for kind in CIVIL_SOCIETY_KINDS},
    )
    council = int(bool(facts.council_resolution_on and (facts.council_resolution_text or "").strip()))
    statuses = [
        CriterionStatus("council_resolution", council, 1),
        CriterionStatus("steering_group", len(facts.steering_group), STEERING_GROUP_MIN),
        retail_gastro,
        civil,
        CriterionStatus("press", facts.press_articles, facts.press_target),
    ]
    return {status.criterion: status for status in statuses}


def changes(previous: Mapping[str, bool], current: dict[str, CriterionStatus], today: date) -> list[EventData]:
    """Exactly one met/lost per flipped criterion, and `all_criteria_met` when the last one falls into place."""
    events: list[EventData] = []
    for name in CRITERIA:
        status = current[name]
        if status.met != previous.get(name, False):
            kind = CriterionMet if status.met else CriterionLost
            events.append(kind(criterion=name, count=status.count, target=status.target, detail=status.detail or None))
    all_now = all(status.met for status in current.values())
    all_before = all(previous.get(name, False) for name in CRITERIA)
    if all_now and not all_before:
        events.append(MilestoneReached(milestone="all_criteria_met", on=today))
    return events


# --- the title ------------------------------------------------------------------------------------


TitleKind = Literal["awarded", "renewed"]


@dataclass(frozen=True)
class TitleDates:
    """The title's history (every award and renewal, oldest first) and what follows from it."""

    history: tuple[tuple[TitleKind, date], ...] = ()

    @property
    def awarded_on(self) -> date | None:
        return min((on for kind, on in self.history if kind == "awarded"), default=None)

    @property
    def renewed_on(self) -> date | None:
        """The latest renewal, if it came after the award."""
        latest = max((on for kind, on in self.history if kind == "renewed"), default=None)
        awarded = self.awarded_on
        return latest if latest and awarded and latest > awarded else None

    @property
    def expires_on(self) -> date | None:
        return title_expires_on(self.awarded_on, self.renewed_on)


def plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def dossier_period(dates: TitleDates, today: date) -> tuple[date, date]:
    """The renewal dossier's default period: the two years before the next renewal (from the last award or
    renewal to the expiry); without a title, the two years up to today."""
    expires = dates.expires_on
    if expires is None:
        return plus_years(today, -TITLE_YEARS), today
    return plus_years(expires, -TITLE_YEARS), expires


def title_expires_on(awarded_on: date | None, renewed_on: date | None) -> date | None:
    start = max((d for d in (awarded_on, renewed_on) if d), default=None)
    if start is None:
        return None
    return plus_years(start, TITLE_YEARS)


def reminder_due(expires_on: date, today: date, already_sent: set[int]) -> tuple[int | None, set[int]]:
    """The reminder to send now (the most urgent threshold reached) and every threshold it settles.

    After a pause (service down over two thresholds) one reminder goes out, not a burst of stale ones.
    """
    days_left = (expires_on - today).days
    if days_left < 0:
        return None, set()
    reached = {days for days in REMINDER_DAYS if days_left <= days} - already_sent
    if not reached:
        return None, set()
    return min(reached), reached


def title_change(dates: TitleDates, kind: TitleKind, on: date) -> MilestoneReached | None:
    """The title was awarded or renewed on `on` (valid for two years from then); None if already recorded.
    Each award and renewal stays in the history; a renewal needs an award before it."""
    awarded = dates.awarded_on
    if kind == "renewed" and (awarded is None or on <= awarded):
        raise Conflict("Erneuerung ohne erste Verleihung / renewal before the first award", field="kind")
    if (kind, on) in dates.history:
        return None
    return MilestoneReached(milestone="title_awarded" if kind == "awarded" else "title_renewed", on=on)


def reminder(expires_on: date, today: date, already_sent: set[int]) -> tuple[RecertificationDue | None, set[int]]:
    """The `recertification.due` to send now (if any) and the thresholds it settles."""
    days, settled = reminder_due(expires_on, today, already_sent)
    if days is None:
        return None, set()
    return RecertificationDue(expires_on=expires_on, days_left=(expires_on - today).days), settled


def campaign_changes(sent: Mapping[str, Any]) -> dict[str, Any]:
    """The office's edit: `null` keeps the population (it is required) and empties the steering group."""
    values = {key: value for key, value in sent.items() if not (key == "population" and value is None)}
    if "steering_group" in values and values["steering_group"] is None:
        values["steering_group"] = []
    return values


# --- the renewal dossier --------------------------------------------------------------------------

DOSSIER_MAX_YEARS = 10  # a longer period is refused (its figures have a column per calendar year)
BACKWARDS = "Der Zeitraum endet vor seinem Anfang."
TOO_LONG = "Der Zeitraum darf höchstens zehn Jahre lang sein."


def check_period(start: date, end: date) -> None:
    """A dossier's period: forwards, and at most ten years (the messages are msgids of the catalog)."""
    if end < start:
        raise Invalid(BACKWARDS, field="bis")
    if end > plus_years(start, DOSSIER_MAX_YEARS):
        raise Invalid(TOO_LONG, field="bis")


DOSSIER_FIGURES = (*(f"actions_{kind}" for kind in CIVIL_SOCIETY_KINDS), "press", "meetings", "attendees")


def dossier_figures(
    records: Mapping[str, Sequence[Mapping[str, Any]]], start: date, end: date
) -> list[tuple[str, int | None, int]]:
    """The dossier's figures as (figure, calendar year or None for the whole period, value): actions per
    kind of actor, press articles, steering group meetings and the people attending them in all."""
    years = list(range(start.year, end.year + 1))

    def count(year: int | None) -> dict[str, int]:
        def of(kind: str, dated_by: str) -> list[Mapping[str, Any]]:
            return [r for r in records.get(kind, ()) if year is None or r[dated_by].year == year]

        actions = of("actions", "held_on")
        meetings = of("meetings", "held_on")
        figures = {f"actions_{kind}": sum(1 for a in actions if a["kind"] == kind) for kind in CIVIL_SOCIETY_KINDS}
        return figures | {
            "press": len(of("press", "published_on")),
            "meetings": len(meetings),
            "attendees": sum(int(m["attendees"]) for m in meetings),
        }

    per_year = {year: count(year) for year in [*years, None]}
    return [(figure, year, per_year[year][figure]) for figure in DOSSIER_FIGURES for year in [*years, None]]
