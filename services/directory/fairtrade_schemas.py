"""Request and response models of the Fairtrade-Town campaign."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.directory.fairtrade import CIVIL_SOCIETY_KINDS, CRITERIA
from shared.inputs import LINE, TEXT, Day, Line, Url

if TYPE_CHECKING:  # the literals are built from the domain's tables; a type checker sees plain strings
    ActionKind = str
    Criterion = str
else:
    ActionKind = Literal[CIVIL_SOCIETY_KINDS]
    Criterion = Literal[CRITERIA]


class CampaignUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    population: int | None = Field(None, ge=1, le=10_000_000)
    council_resolution_on: Day | None = None
    council_resolution_text: Annotated[str, Field(max_length=5000), TEXT] | None = None
    steering_group: list[Annotated[str, Field(min_length=1, max_length=200), LINE]] | None = Field(
        None, max_length=50, description="Mitglieder (Organisation/Rolle) / members (organisation or role)"
    )


class TitleRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["awarded", "renewed"]
    on: Day


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: ActionKind
    organisation: Line = Field(min_length=1, max_length=200)
    action: Line = Field(min_length=1, max_length=500)
    held_on: Day


class PressCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Line = Field(min_length=1, max_length=300)
    outlet: Line = Field(min_length=1, max_length=200)
    url: Annotated[Url, Field(max_length=500)] | None = None
    published_on: Day


class MeetingCreate(BaseModel):
    """A steering group meeting: when, what was discussed (a short summary of the minutes), how many came."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    held_on: Day
    topic: Annotated[str, Field(min_length=1, max_length=2000), TEXT]
    attendees: int = Field(ge=1, le=500)


class MeetingRecord(MeetingCreate):
    id: str


class TitleEntry(BaseModel):
    id: str
    kind: Literal["awarded", "renewed"]
    granted_on: date


class ActionPublic(ActionCreate):
    id: str


class PressPublic(PressCreate):
    id: str


class CriterionPublic(BaseModel):
    criterion: Criterion
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
    titles: list[TitleEntry] = Field(description="the award and every renewal, oldest first")
    title_awarded_on: date | None
    title_renewed_on: date | None = Field(description="the latest renewal")
    title_expires_on: date | None
    title_valid: bool


class CampaignRecords(BaseModel):
    """The campaign's records of a period (both ends included), for the office."""

    start: date
    end: date
    actions: list[ActionPublic]
    press: list[PressPublic]
    meetings: list[MeetingRecord]
    titles: list[TitleEntry]
