"""A published profile as schema.org JSON-LD (what search engines read)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from services.directory.domain import CATEGORIES

_SIMPLE_RULE = re.compile(
    r"^(?P<days>[A-Z][a-z](?:[-,][A-Z][a-z])*) (?P<times>\d\d:\d\d-\d\d:\d\d(?:,\d\d:\d\d-\d\d:\d\d)*)$"
)


def schema_opening_hours(expression: str | None) -> list[str]:
    """The plain weekday rules, as schema.org `openingHours` understands them (the rest is left out).
    OSM and schema.org share the two-letter day names, so the rules pass through unchanged."""
    out = []
    for rule in (expression or "").split(";"):
        match = _SIMPLE_RULE.match(rule.strip())
        if match:
            out += [f"{match['days']} {span}" for span in match["times"].split(",")]
    return out


def json_ld(profile: Mapping[str, Any], url: str) -> dict[str, Any]:
    category = CATEGORIES[profile["category"]]
    document: dict[str, Any] = {
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
