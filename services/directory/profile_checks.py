"""Checks of a profile's fields, without I/O: opening hours, coordinates, completeness, staleness."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import opening_hours

from services.directory.offers import check_offer
from shared.errors import Invalid

BERLIN = ZoneInfo("Europe/Berlin")

# --- opening hours ---------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def parse_opening_hours(expression: str) -> opening_hours.OpeningHours:
    """OSM `opening_hours` evaluated in Europe/Berlin with German public holidays (`PH`). Kept per
    expression (the parsed rules never change): "open now" over a whole search evaluates many profiles,
    most sharing a few expressions, and parsing costs several times an evaluation."""
    try:
        return opening_hours.OpeningHours(expression, timezone=BERLIN, country="DE")
    except Exception as exc:  # the parser raises its own ParserError with a caret diagram
        first_line = str(exc).splitlines()[0] if str(exc) else "invalid"
        raise Invalid(
            f"Ungültige Öffnungszeiten (OSM opening_hours) / invalid opening hours: {first_line}", field="opening_hours"
        ) from exc


def is_open(expression: str | None, at: datetime) -> bool | None:
    """Open at `at` (any timezone); None when the profile states no opening hours."""
    if not expression:
        return None
    return bool(parse_opening_hours(expression).is_open(at.astimezone(BERLIN)))


# --- coordinates -----------------------------------------------------------------------------------

# A generous box around Bottrop and its neighbours; catches swapped latitude/longitude and typos.
AREA = {"latitude": (51.30, 51.80), "longitude": (6.60, 7.30)}


def check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise Invalid(
            f"Koordinaten nur paarweise / latitude and longitude go together: {missing} fehlt/missing", field=missing
        )
    for field, value in (("latitude", latitude), ("longitude", longitude)):
        low, high = AREA[field]
        if value is not None and not low <= value <= high:
            raise Invalid(
                f"{field} {value} liegt nicht im Raum Bottrop ({low}–{high}); vertauscht? / "
                f"outside the Bottrop area ({low}–{high}); swapped?",
                field=field,
            )


def check_profile(profile: Mapping[str, Any]) -> None:
    """What a stored profile must satisfy beyond the request models: coordinates, opening hours."""
    check_coordinates(profile.get("latitude"), profile.get("longitude"))
    if profile.get("opening_hours"):
        parse_opening_hours(profile["opening_hours"])
    check_offer(profile.get("offer"))


# --- completeness and staleness --------------------------------------------------------------------

COMPLETENESS_CHECKS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "description": lambda p: len(p.get("description") or "") >= 30,
    "offerings": lambda p: bool(p.get("offerings")),
    "phone": lambda p: bool(p.get("phone")),
    "email": lambda p: bool(p.get("email")),
    "website": lambda p: bool(p.get("website")),
    "address": lambda p: bool(p.get("street") and p.get("postal_code")),
    "coordinates": lambda p: p.get("latitude") is not None and p.get("longitude") is not None,
    "opening_hours": lambda p: bool(p.get("opening_hours")),
}


def completeness(profile: Mapping[str, Any]) -> tuple[int, list[str]]:
    """Score 0–100 over the optional parts that make a profile useful, and what is missing."""
    missing = [name for name, present in COMPLETENESS_CHECKS.items() if not present(profile)]
    total = len(COMPLETENESS_CHECKS)
    return round(100 * (total - len(missing)) / total), missing


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def is_stale(touched_at: datetime, now: datetime, months: int = 6) -> bool:
    """Not touched (edited or confirmed by owner or office) for `months` calendar months."""
    return now >= add_months(touched_at, months)
