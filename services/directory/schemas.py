"""Request and response models of the directory service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, EmailStr, Field, field_validator

from services.directory.domain import CATEGORIES, STATUSES
from services.directory.fairtrade import CIVIL_SOCIETY_KINDS, CRITERIA

CategorySlug = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
Url = Annotated[AnyHttpUrl, Field(max_length=300)]
Offering = Annotated[str, Field(min_length=1, max_length=100)]
OwnerLanguage = Literal["de", "en"]


# --- profiles -------------------------------------------------------------------------------------


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str = Field("", max_length=2000)
    offerings: list[Offering] = Field(
        default_factory=list, max_length=30, description="Waren und Leistungen / goods and services offered"
    )
    email: EmailStr | None = Field(None, max_length=254, description="öffentliche Kontaktadresse / public contact")
    phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 ()/\-]{5,40}$")
    website: Url | None = None
    street: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, pattern=r"^\d{5}$")
    city: str = Field("Bottrop", min_length=1, max_length=100)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    opening_hours: str | None = Field(
        None,
        max_length=500,
        examples=["Mo-Fr 09:00-18:00; Sa 09:00-14:00; PH off"],
        description="OpenStreetMap opening_hours, Europe/Berlin",
    )
    delivery: bool = False
    pickup: bool = False
    accepts_gutschein: bool = Field(False, description="nimmt den Bottrop-Gutschein an / accepts the city voucher")
    online_shop: bool = False
    fairtrade_products: int = Field(0, ge=0, le=10_000, description="Anzahl Fairtrade-Produkte / how many")
    links: list[Url] = Field(default_factory=list, max_length=10)


class BusinessCreate(_Profile):
    name: str = Field(min_length=1, max_length=200, examples=["Bäckerei Beispiel"])
    category: CategorySlug
    owner_email: EmailStr | None = Field(
        None, max_length=254, description="private Adresse für den Bearbeitungslink / private, never shown"
    )
    owner_language: OwnerLanguage = Field(
        "de", description="Sprache der Mails an den Inhaber / language of owner mails"
    )


class BusinessUpdate(BaseModel):
    """Only the fields sent are changed; `null` clears an optional field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=200)
    category: CategorySlug | None = None
    description: str | None = Field(None, max_length=2000)
    offerings: list[Offering] | None = Field(None, max_length=30)
    email: EmailStr | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 ()/\-]{5,40}$")
    website: Url | None = None
    street: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, pattern=r"^\d{5}$")
    city: str | None = Field(None, min_length=1, max_length=100)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    opening_hours: str | None = Field(None, max_length=500)
    delivery: bool | None = None
    pickup: bool | None = None
    accepts_gutschein: bool | None = None
    online_shop: bool | None = None
    fairtrade_products: int | None = Field(None, ge=0, le=10_000)
    links: list[Url] | None = Field(None, max_length=10)
    owner_email: EmailStr | None = Field(None, max_length=254)
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
        "online_shop",
        "fairtrade_products",
        "links",
        "owner_language",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value, info):
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
    online_shop: bool
    fairtrade_products: int
    links: list[str]
    published_at: datetime | None


class BusinessDetail(BusinessPublic):
    """What the owner and the office see: status, completeness and staleness too."""

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


class BusinessRegistration(BusinessDetail):
    edit_token: str = Field(description="nur einmal angezeigt / shown once; send as Bearer token to edit")
    edit_url: str


class BusinessPage(BaseModel):
    items: list[BusinessDetail | BusinessPublic]
    total: int
    page: int
    per_page: int


class CategoryPublic(BaseModel):
    slug: str
    de: str
    en: str


# --- fairtrade ------------------------------------------------------------------------------------


class CampaignUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    population: int | None = Field(None, ge=1, le=10_000_000)
    council_resolution_on: date | None = None
    council_resolution_text: str | None = Field(None, max_length=5000)
    steering_group: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, max_length=50, description="Mitglieder (Organisation/Rolle) / members (organisation or role)"
    )


class TitleRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["awarded", "renewed"]
    on: date


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal[CIVIL_SOCIETY_KINDS]  # type: ignore[valid-type]
    organisation: str = Field(min_length=1, max_length=200)
    action: str = Field(min_length=1, max_length=500)
    held_on: date


class PressCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    outlet: str = Field(min_length=1, max_length=200)
    url: Annotated[AnyHttpUrl, Field(max_length=500)] | None = None
    published_on: date


class ActionPublic(ActionCreate):
    id: str


class PressPublic(PressCreate):
    id: str


class CriterionPublic(BaseModel):
    criterion: Literal[CRITERIA]  # type: ignore[valid-type]
    met: bool
    count: int
    target: int
    detail: dict[str, int] = {}


class CampaignPublic(BaseModel):
    population: int
    year: int
    criteria: list[CriterionPublic]
    all_met: bool
    council_resolution_on: date | None
    council_resolution_text: str | None
    steering_group: list[str]
    actions: list[ActionPublic]
    press: list[PressPublic]
    title_awarded_on: date | None
    title_renewed_on: date | None
    title_expires_on: date | None
    title_valid: bool
