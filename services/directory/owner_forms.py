"""What the sign-up and the owner's page accept, as pydantic models of their form fields (the field
types of schemas.py, so the same limits as the API), and how a form becomes a profile's fields."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from services.directory import offers, opening_week
from services.directory.schemas import (
    BusinessCreate,
    CategorySlug,
    City,
    Description,
    Name,
    Offering,
    OpeningHours,
    Phone,
    PostalCode,
    Products,
    Url,
)
from shared.errors import Invalid
from shared.inputs import LINE, Email, Latitude, Longitude
from shared.web import N_

FilledStreet = Annotated[str, Field(min_length=1, max_length=200), LINE]
Street = Annotated[str, Field(max_length=200), LINE]
FormLine = Annotated[str, Field(max_length=500), LINE]


def _decimal(value: Any) -> Any:
    """A number as a form sends it (text), with a German decimal comma or a point."""
    if isinstance(value, str):
        try:
            return float(value.replace(",", "."))
        except ValueError:
            return value  # refused by the type, said at its field
    return value


class SignUpForm(BaseModel):
    """The first step: six fields, all needed (the rest comes later on the owner's page)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: Name
    category: CategorySlug
    street: FilledStreet
    postal_code: PostalCode
    city: City
    owner_email: Email

    def profile_fields(self, language: str) -> dict[str, Any]:
        """The fields of a new profile (as the API's registration takes them)."""
        created = BusinessCreate(**self.model_dump(), owner_language=language)
        return created.model_dump(mode="json")


class LinkRequestForm(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    owner_email: Email


class OwnerEditForm(BaseModel):
    """Everything the owner's page edits; an empty optional field clears it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: Name
    category: CategorySlug
    description: Description = ""
    offerings: list[Offering] = Field(default_factory=list, max_length=30)
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    street: Street | None = None
    postal_code: PostalCode | None = None
    city: City
    latitude: Annotated[Latitude | None, BeforeValidator(_decimal)] = None
    longitude: Annotated[Longitude | None, BeforeValidator(_decimal)] = None
    opening_hours: OpeningHours | None = None  # the expression itself, when the week cannot show it
    delivery: bool = False
    pickup: bool = False
    accepts_gutschein: bool = False
    online_shop: bool = False
    fairtrade_products: Products = 0
    owner_email: Email
    # the delivery and pickup offer as text (offers.py reads it); all empty: no offer
    offer_postal_codes: FormLine = ""
    offer_windows: FormLine = ""
    offer_minimum_order: Annotated[str, Field(max_length=20), LINE] = ""
    offer_pickup_point: Annotated[str, Field(max_length=200), LINE] = ""
    offer_lead_time_hours: Annotated[str, Field(max_length=10), LINE] = ""

    @field_validator("offerings", mode="before")
    @classmethod
    def _one_per_line(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in re.split(r"[\n,;]", value) if item.strip()]
        return value

    @field_validator("website", mode="before")
    @classmethod
    def _with_scheme(cls, value: Any) -> Any:
        """People write "www.baeckerei.de": the https:// is implied."""
        if isinstance(value, str) and value and "://" not in value:
            return "https://" + value
        return value


# --- the delivery and pickup offer as form fields ----------------------------------------------------

OFFER_FIELDS = frozenset(
    {"offer_postal_codes", "offer_windows", "offer_minimum_order", "offer_pickup_point", "offer_lead_time_hours"}
)
# What is wrong with the offer, said at its field (offers.offer_from_form names the field).
OFFER_RULES: dict[str, str] = {
    "offer_postal_codes": N_(
        "Bitte geben Sie Postleitzahlen mit fünf Ziffern an, durch Kommas getrennt, z. B. 46236, 46238."
    ),
    "offer_windows": N_("Diese Zeiten können wir nicht lesen. Beispiel: Mo-Fr 09:00-12:00; Sa 10:00-13:00"),
    "offer_minimum_order": N_("Bitte geben Sie den Mindestbestellwert in Euro an, z. B. 15,00."),
    "offer_pickup_point": N_("Der Abholort darf höchstens 200 Zeichen lang sein."),
    "offer_lead_time_hours": N_("Bitte geben Sie die Vorlaufzeit in ganzen Stunden an, höchstens 336."),
    "offer": N_(
        "Für ein Liefer- oder Abholangebot brauchen wir ein Liefergebiet (Postleitzahlen) oder einen Abholort."
    ),
}


def offer_of_form(data: OwnerEditForm, gettext: Callable[[str], str]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The offer the form's offer fields describe (None: no offer), and a sentence per field at fault."""
    try:
        return offers.offer_from_form(data.model_dump(include=set(OFFER_FIELDS))), {}
    except Invalid as exc:
        field = exc.field if exc.field in OFFER_RULES else "offer"
        return None, {"offer_postal_codes" if field == "offer" else field: gettext(OFFER_RULES[field])}


# --- the week of opening hours as form fields ------------------------------------------------------

DAY_NAMES: dict[str, str] = {
    "Mo": N_("Montag"),
    "Tu": N_("Dienstag"),
    "We": N_("Mittwoch"),
    "Th": N_("Donnerstag"),
    "Fr": N_("Freitag"),
    "Sa": N_("Samstag"),
    "Su": N_("Sonntag"),
}
HOLIDAYS_FIELD = "feiertage_zu"
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:00)?$")
BOTH_TIMES = N_("Bitte geben Sie beide Uhrzeiten an, oder keine, wenn an diesem Tag geschlossen ist.")
A_TIME = N_("Bitte geben Sie eine Uhrzeit an, z. B. 09:00.")


def day_fields(day: str) -> tuple[str, str]:
    return f"{day.lower()}_von", f"{day.lower()}_bis"


def week_of_form(form: Mapping[str, str], gettext: Callable[[str], str]) -> tuple[opening_week.Week, dict[str, str]]:
    """The week the form's time fields describe, and a sentence per field at fault."""
    hours: dict[str, tuple[str, str]] = {}
    errors: dict[str, str] = {}
    for day in opening_week.DAYS:
        names = day_fields(day)
        start, end = (form.get(name, "").strip() for name in names)
        if not start and not end:
            continue
        for name, value in zip(names, (start, end), strict=True):
            if not value:
                errors[name] = gettext(BOTH_TIMES)
            elif not _TIME.match(value):
                errors[name] = gettext(A_TIME)
        if not any(name in errors for name in names):
            hours[day] = (start[:5], end[:5])
    return opening_week.Week(hours, form.get(HOLIDAYS_FIELD) == "on"), errors


def form_of_profile(profile: Mapping[str, Any]) -> dict[str, str]:
    """The owner's page's form filled from a profile (the values the owner last gave)."""
    values: dict[str, str] = {}
    for name in ("name", "category", "description", "email", "phone", "website", "street", "postal_code", "city"):
        values[name] = str(profile.get(name) or "")
    values["owner_email"] = str(profile.get("owner_email") or "")
    values["offerings"] = "\n".join(profile.get("offerings") or [])
    for name in ("latitude", "longitude"):
        values[name] = "" if profile.get(name) is None else f"{profile[name]:g}"
    for name in ("delivery", "pickup", "accepts_gutschein", "online_shop"):
        values[name] = "on" if profile.get(name) else ""
    values["fairtrade_products"] = str(profile.get("fairtrade_products") or 0)
    values |= offers.form_values(profile.get("offer"))
    week = opening_week.from_osm(profile.get("opening_hours"))
    if week is None:
        values["opening_hours"] = str(profile.get("opening_hours") or "")
    else:
        values[HOLIDAYS_FIELD] = "on" if week.holidays_closed else ""
        for day, (start, end) in week.hours.items():
            values.update(zip(day_fields(day), (start, end), strict=True))
    return values
