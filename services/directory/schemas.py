"""Request and response models of business profiles (the campaign's are in fairtrade_schemas.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from services.directory.domain import CATEGORIES, STATUSES
from services.directory.offers import MAX_LEAD_TIME_HOURS, MAX_MINIMUM_ORDER_CENTS, MAX_POSTAL_CODES, MAX_WINDOWS
from services.directory.queries import SEARCH_COUNT_CAP
from shared.catalog import Offer as OfferData
from shared.catalog import Weekday
from shared.inputs import LINE, TEXT, Email, Latitude, Longitude
from shared.inputs import Url as HttpUrl

if TYPE_CHECKING:  # the literals are built from the domain's tables; a type checker sees plain strings
    CategorySlug = str
    Status = str
else:
    CategorySlug = Literal[tuple(CATEGORIES)]
    Status = Literal[STATUSES]
Url = Annotated[HttpUrl, Field(max_length=300)]
Offering = Annotated[str, Field(min_length=1, max_length=100), LINE]
OwnerLanguage = Literal["de", "en"]
Name = Annotated[str, Field(min_length=1, max_length=200), LINE]
Description = Annotated[str, Field(max_length=2000), TEXT]
Phone = Annotated[str, Field(max_length=40, pattern=r"^\+?[0-9 ()/\-]{5,40}$"), LINE]
Street = Annotated[str, Field(max_length=200), LINE]
PostalCode = Annotated[str, Field(pattern=r"^\d{5}$"), LINE]
City = Annotated[str, Field(min_length=1, max_length=100), LINE]
OpeningHours = Annotated[str, Field(max_length=500), LINE]
Products = Annotated[int, Field(ge=0, le=10_000)]
GermanPostalCode = Annotated[str, Field(pattern=r"^(0[1-9]|[1-9]\d)\d{3}$", examples=["46236"]), LINE]
TimeOfDay = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:00"])]
EndOfWindow = Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", examples=["12:00"])]
PickupPoint = Annotated[str, Field(min_length=1, max_length=200), LINE]


# --- the delivery and pickup offer (offers.py) --------------------------------------------------------


class OfferWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    days: list[Weekday] = Field(min_length=1, max_length=7, examples=[["mo", "tu", "we", "th", "fr"]])
    start: TimeOfDay
    end: EndOfWindow = Field(description="nach start / after start (Europe/Berlin)")

    @model_validator(mode="after")
    def _in_order(self) -> OfferWindow:
        if self.start >= self.end:
            raise ValueError(f"end {self.end} liegt nicht nach start {self.start} / end must be after start")
        return self


class Offer(BaseModel):
    """Liefer- und Abholangebot / delivery and pickup offer; needs a delivery area or a pickup point."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    postal_codes: list[GermanPostalCode] = Field(
        default_factory=list,
        max_length=MAX_POSTAL_CODES,
        description="Liefergebiet (PLZ, Bottrop 46236–46244) / delivery area; leer: keine Lieferung",
    )
    windows: list[OfferWindow] = Field(
        default_factory=list, max_length=MAX_WINDOWS, description="Liefer- und Abholzeiten / delivery and pickup times"
    )
    minimum_order_cents: int | None = Field(
        None, ge=0, le=MAX_MINIMUM_ORDER_CENTS, description="Mindestbestellwert in Cent / minimum order, euro cents"
    )
    pickup_point: PickupPoint | None = Field(None, description="Abholort / pickup point; leer: keine Abholung")
    lead_time_hours: int = Field(0, ge=0, le=MAX_LEAD_TIME_HOURS, description="Vorlaufzeit in Stunden / lead time")

    @model_validator(mode="after")
    def _offers_something(self) -> Offer:
        if not self.postal_codes and not self.pickup_point:
            raise ValueError("Liefergebiet oder Abholort nötig / needs postal_codes or a pickup_point")
        if len(set(self.postal_codes)) != len(self.postal_codes):
            raise ValueError("Postleitzahl doppelt / a postal code is listed twice")
        return self


# --- profiles -------------------------------------------------------------------------------------


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: Description = ""
    offerings: list[Offering] = Field(
        default_factory=list, max_length=30, description="Waren und Leistungen / goods and services offered"
    )
    email: Email | None = Field(None, description="öffentliche Kontaktadresse / public contact")
    phone: Phone | None = None
    website: Url | None = None
    street: Street | None = None
    postal_code: PostalCode | None = None
    city: City = "Bottrop"
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    opening_hours: OpeningHours | None = Field(
        None,
        examples=["Mo-Fr 09:00-18:00; Sa 09:00-14:00; PH off"],
        description="OpenStreetMap opening_hours, Europe/Berlin",
    )
    delivery: bool = False
    pickup: bool = False
    accepts_gutschein: bool = Field(False, description="nimmt den Bottrop-Gutschein an / accepts the city voucher")
    sells_gutschein: bool = Field(False, description="verkauft den Bottrop-Gutschein / sells the city voucher")
    online_shop: bool = False
    fairtrade_products: Products = Field(0, description="Anzahl Fairtrade-Produkte / how many")
    links: list[Url] = Field(default_factory=list, max_length=10)
    offer: Offer | None = Field(None, description="Liefer- und Abholangebot / delivery and pickup offer")


class BusinessCreate(_Profile):
    name: Name = Field(examples=["Bäckerei Beispiel"])
    category: CategorySlug
    owner_email: Email | None = Field(
        None, description="private Adresse für den Bearbeitungslink / private, never shown"
    )
    owner_language: OwnerLanguage = Field(
        "de", description="Sprache der Mails an den Inhaber / language of owner mails"
    )


class BusinessUpdate(BaseModel):
    """Only the fields sent are changed; `null` clears an optional field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = None
    category: CategorySlug | None = None
    description: Description | None = None
    offerings: list[Offering] | None = Field(None, max_length=30)
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    street: Street | None = None
    postal_code: PostalCode | None = None
    city: City | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    opening_hours: OpeningHours | None = None
    delivery: bool | None = None
    pickup: bool | None = None
    accepts_gutschein: bool | None = None
    sells_gutschein: bool | None = None
    online_shop: bool | None = None
    fairtrade_products: Products | None = None
    links: list[Url] | None = Field(None, max_length=10)
    offer: Offer | None = Field(None, description="null: kein Angebot mehr / withdraws the offer")
    owner_email: Email | None = None
    owner_language: OwnerLanguage | None = None

    @field_validator(
        "name",
        "category",
        "city",
        "description",
        "offerings",
        "delivery",
        "pickup",
        "accepts_gutschein",
        "sells_gutschein",
        "online_shop",
        "fairtrade_products",
        "links",
        "owner_language",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            raise ValueError(f"{info.field_name} kann nicht gelöscht werden / cannot be null")
        return value


class BusinessPublic(BaseModel):
    id: str
    name: str
    category: str
    category_label: str
    description: str
    offerings: list[str]
    email: str | None
    phone: str | None
    website: str | None
    street: str | None
    postal_code: str | None
    city: str
    latitude: float | None
    longitude: float | None
    opening_hours: str | None
    open_now: bool | None = Field(description="jetzt geöffnet (Europe/Berlin); null ohne Öffnungszeiten")
    delivery: bool
    pickup: bool
    accepts_gutschein: bool
    sells_gutschein: bool
    online_shop: bool
    fairtrade_products: int
    links: list[str]
    offer: OfferData | None = None
    published_at: datetime | None


ChangeStatus = Literal["pending", "approved", "rejected", "superseded", "withdrawn"]


class ProposedChange(BaseModel):
    """An owner's edit of a published profile that waits for the office (free text and links), or did."""

    id: str
    business_id: str
    business_name: str = Field(description="der Name, wie er jetzt gilt / the name as it stands now")
    fields: dict[str, Any] = Field(description="die wartenden Felder und ihre Werte / the waiting fields and values")
    status: ChangeStatus = Field(
        description="superseded: durch eine neuere Änderung ersetzt / replaced by a newer edit"
    )
    proposed_at: datetime
    decided_at: datetime | None
    note: str | None = Field(description="Begründung des Büros bei Ablehnung / the office's reason for a rejection")


class ChangePage(BaseModel):
    items: list[ProposedChange]
    total: int
    page: int
    per_page: int


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str = Field(min_length=1, max_length=1000, description="für den Inhaber / shown to the owner")


class BusinessDetail(BusinessPublic):
    """What the owner and the office see: status, completeness and staleness too, and the change that
    waits for the office's review."""

    status: Status
    self_registered: bool
    owner_email: str | None
    owner_language: OwnerLanguage = "de"
    created_at: datetime
    updated_at: datetime
    touched_at: datetime
    completeness: int = Field(ge=0, le=100)
    missing: list[str]
    stale: bool
    pending_change: ProposedChange | None = Field(
        None, description="wartet auf Prüfung durch das Büro / waits for the office's review"
    )


class BusinessRegistration(BusinessDetail):
    edit_token: str = Field(description="nur einmal angezeigt / shown once; send as Bearer token to edit")
    edit_url: str


class BusinessPage(BaseModel):
    items: list[BusinessDetail | BusinessPublic]
    total: int = Field(description="Anzahl der Treffer / how many match")
    total_exact: bool = Field(
        description=f"false: mehr als `total` Treffer (öffentlich bis {SEARCH_COUNT_CAP} gezählt, das Büro genau) / "
        f"false: more than `total` match (counted up to {SEARCH_COUNT_CAP} for the public, exactly for the office)"
    )
    page: int
    per_page: int


class CategoryPublic(BaseModel):
    slug: str
    de: str
    en: str
