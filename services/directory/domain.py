"""Rules of a business profile, without I/O: categories, lifecycle, opening hours, completeness, staleness."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import opening_hours

from shared.errors import Conflict, Invalid

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Category:
    de: str
    en: str
    schema_type: str  # schema.org type for the JSON-LD
    fairtrade_group: str | None = None  # "retail" or "gastronomy" for the Fairtrade-Town count


CATEGORIES: dict[str, Category] = {
    "einzelhandel": Category("Einzelhandel", "Retail", "Store", "retail"),
    "wochenmarkt": Category("Wochenmarkt", "Weekly market", "Store", "retail"),
    "gastronomie": Category("Gastronomie", "Food and drink", "FoodEstablishment", "gastronomy"),
    "hotel": Category("Hotel & Unterkunft", "Hotels and lodging", "LodgingBusiness", "gastronomy"),
    "dienstleistung": Category("Dienstleistung", "Services", "ProfessionalService"),
    "handwerk": Category("Handwerk", "Crafts and trades", "HomeAndConstructionBusiness"),
    "gesundheit": Category("Gesundheit", "Health", "MedicalBusiness"),
    "freizeit_kultur": Category("Freizeit & Kultur", "Leisure and culture", "EntertainmentBusiness"),
}

# --- lifecycle ------------------------------------------------------------------------------------

PENDING, PUBLISHED, UNPUBLISHED, ARCHIVED = "pending", "published", "unpublished", "archived"
STATUSES = (PENDING, PUBLISHED, UNPUBLISHED, ARCHIVED)
_ALLOWED = {
    PUBLISHED: {PENDING, UNPUBLISHED},
    UNPUBLISHED: {PUBLISHED},
    ARCHIVED: {PENDING, PUBLISHED, UNPUBLISHED},
}


def check_transition(current: str, target: str) -> None:
    """Archived is final; only a published profile can be unpublished."""
    if current not in _ALLOWED[target]:
        raise Conflict(
            f"Status {current} → {target} ist nicht möglich / cannot go from {current} to {target}", field="status"
        )


# --- opening hours ---------------------------------------------------------------------------------


def parse_opening_hours(expression: str) -> opening_hours.OpeningHours:
    """OSM `opening_hours` evaluated in Europe/Berlin with German public holidays (`PH`)."""
    try:
        return opening_hours.OpeningHours(expression, timezone=BERLIN, country="DE")
    except Exception as exc:  # the parser raises its own ParserError with a caret diagram
        first_line = str(exc).splitlines()[0] if str(exc) else "invalid"
        raise Invalid(
            f"Ungültige Öffnungszeiten (OSM opening_hours) / invalid opening hours: {first_line}", field="opening_hours"
        ) from exc


def normalize_opening_hours(expression: str | None) -> str | None:
    if expression is None or not expression.strip():
        return None
    return str(parse_opening_hours(expression.strip()).normalize())


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


# --- completeness and staleness --------------------------------------------------------------------

COMPLETENESS_CHECKS = {
    "description": lambda p: len(p.get("description") or "") >= 30,
    "offerings": lambda p: bool(p.get("offerings")),
    "phone": lambda p: bool(p.get("phone")),
    "email": lambda p: bool(p.get("email")),
    "website": lambda p: bool(p.get("website")),
    "address": lambda p: bool(p.get("street") and p.get("postal_code")),
    "coordinates": lambda p: p.get("latitude") is not None and p.get("longitude") is not None,
    "opening_hours": lambda p: bool(p.get("opening_hours")),
}


def completeness(profile: dict) -> tuple[int, list[str]]:
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


# --- search text -----------------------------------------------------------------------------------

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case, umlauts spelt out, other accents dropped: 'Bäckerei Müller' → 'baeckerei mueller'."""
    text = text.casefold().translate(_FOLD)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def search_document(profile: dict) -> str:
    category = CATEGORIES[profile["category"]]
    parts = [
        profile.get("name"),
        category.de,
        category.en,
        profile.get("description"),
        *(profile.get("offerings") or []),
        profile.get("street"),
        profile.get("city"),
    ]
    return " ".join(part for part in parts if part)


_SUFFIXES = ("ern", "en", "er", "es", "e", "n", "s")


def search_terms(query: str) -> list[str]:
    """Folded words of a query, lightly stemmed, for the SQLite substring fallback."""
    terms = []
    for word in re.findall(r"\w+", fold(query)):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        terms.append(word)
    return terms


# --- schema.org ------------------------------------------------------------------------------------

_SIMPLE_RULE = re.compile(
    r"^(?P<days>[A-Z][a-z](?:[-,][A-Z][a-z])*) (?P<times>\d\d:\d\d-\d\d:\d\d(?:,\d\d:\d\d-\d\d:\d\d)*)$"
)


def schema_opening_hours(expression: str | None) -> list[str]:
    """The plain weekday rules, as schema.org `openingHours` understands them (the rest is left out)."""
    out = []
    for rule in (expression or "").split(";"):
        match = _SIMPLE_RULE.match(rule.strip())
        if match:
            out += [f"{match['days']} {span}" for span in match["times"].split(",")]
    return out


def json_ld(profile: dict, url: str) -> dict:
    category = CATEGORIES[profile["category"]]
    document = {
        "@context": "https://schema.org",
        "@type": category.schema_type,
        "@id": url,
        "url": profile.get("website") or url,
        "name": profile["name"],
        "description": profile.get("description") or None,
        "telephone": profile.get("phone"),
        "email": profile.get("email"),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": profile.get("street"),
            "postalCode": profile.get("postal_code"),
            "addressLocality": profile.get("city"),
            "addressCountry": "DE",
        },
        "openingHours": schema_opening_hours(profile.get("opening_hours")) or None,
        "sameAs": profile.get("links") or None,
        "makesOffer": [
            {"@type": "Offer", "itemOffered": {"@type": "Thing", "name": item}}
            for item in profile.get("offerings") or []
        ]
        or None,
        "paymentAccepted": "Bottrop-Gutschein" if profile.get("accepts_gutschein") else None,
    }
    if profile.get("latitude") is not None:
        document["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": profile["latitude"],
            "longitude": profile["longitude"],
        }
    return {key: value for key, value in document.items() if value is not None}
