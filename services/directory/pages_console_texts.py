"""What the console's profile page says about a profile's fields, in plain words (German msgids; English in
locale/), and how a stored value reads (lists joined, yes/no, a dash for nothing). Values are shown as
the owner wrote them; the templates escape them (unreviewed text never becomes markup)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.directory import offers
from services.directory.labels import CATEGORY_NAMES, OFFER_PARTS
from shared.web import N_

# The profile's fields in the order the page lists them.
LABELS: dict[str, str] = {
    "name": N_("Name des Betriebs"),
    "category": N_("Art des Betriebs"),
    "description": N_("Beschreibung"),
    "offerings": N_("Angebot"),
    "street": N_("Straße und Hausnummer"),
    "postal_code": N_("Postleitzahl"),
    "city": N_("Ort"),
    "latitude": N_("Breitengrad"),
    "longitude": N_("Längengrad"),
    "phone": N_("Telefon"),
    "email": N_("E-Mail-Adresse für die Kundschaft"),
    "website": N_("Webseite"),
    "links": N_("Links"),
    "opening_hours": N_("Öffnungszeiten"),
    "delivery": N_("Liefert"),
    "pickup": N_("Bestellen und abholen"),
    "accepts_gutschein": N_("Nimmt den Bottrop-Gutschein an"),
    "sells_gutschein": N_("Verkauft den Bottrop-Gutschein"),
    "online_shop": N_("Online-Shop"),
    "fairtrade_products": N_("Fairtrade-Produkte"),
    "offer": N_("Liefer- und Abholangebot"),
    "owner_email": N_("E-Mail-Adresse des Inhabers (nicht öffentlich)"),
    "owner_language": N_("Sprache der Mails an den Inhaber"),
}
LANGUAGE_NAMES: dict[str, str] = {"de": N_("Deutsch"), "en": N_("Englisch")}
YES, NO = N_("ja"), N_("nein")
CHANGE_STATUS: dict[str, str] = {
    "pending": N_("wartet auf Prüfung"),
    "approved": N_("freigegeben"),
    "rejected": N_("zurückgegeben"),
    "superseded": N_("durch eine neuere Änderung ersetzt"),
    "withdrawn": N_("zurückgenommen"),
}


def shown_value(name: str, value: Any, text: Callable[[str], str]) -> str:
    """A stored value as a person reads it."""
    if isinstance(value, bool):
        return text(YES if value else NO)
    if value is None or value == "" or value == []:
        return "–"
    if name == "category":
        return text(CATEGORY_NAMES.get(value, value))
    if name == "owner_language":
        return text(LANGUAGE_NAMES.get(value, value))
    if name == "offer":
        parts = offers.form_values(value)
        return " · ".join(f"{text(label)}: {parts[key]}" for key, label in OFFER_PARTS.items() if parts[key])
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rows(profile: Mapping[str, Any], text: Callable[[str], str]) -> list[tuple[str, str]]:
    """(label, value) of every field of the profile."""
    return [(text(label), shown_value(name, profile.get(name), text)) for name, label in LABELS.items()]


def differences(
    profile: Mapping[str, Any], fields: Mapping[str, Any], text: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """(label, live value, proposed value) of each field a change proposes."""
    return [
        (text(LABELS.get(name, name)), shown_value(name, profile.get(name), text), shown_value(name, value, text))
        for name, value in fields.items()
        if name in LABELS
    ]
