"""What the console's forms accept: the owner's form for a profile (owner_forms.py) with what only the
office sets, the note for the owner, and the campaign's records with the limits of the JSON API's models
(fairtrade_schemas.py), taking the fields a form sends (no extra-field refusal: a button may have a name)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.directory.fairtrade_schemas import ActionCreate, PressCreate
from services.directory.owner_forms import OwnerEditForm, form_of_profile
from services.directory.schemas import OwnerLanguage
from shared.inputs import LINE, TEXT, Day, Email

FORM = ConfigDict(extra="ignore", str_strip_whitespace=True)
Member = Annotated[str, Field(min_length=1, max_length=200), LINE]


class OfficeEditForm(OwnerEditForm):
    """The owner's fields, and those the owner's page does not show; a profile the office registered
    may have no owner address."""

    sells_gutschein: bool = False
    owner_email: Email | None = None  # type: ignore[assignment]
    owner_language: OwnerLanguage = "de"


def office_form_of_profile(profile: Mapping[str, Any]) -> dict[str, str]:
    return form_of_profile(profile) | {
        "sells_gutschein": "on" if profile.get("sells_gutschein") else "",
        "owner_language": str(profile.get("owner_language") or "de"),
    }


class NoteForm(BaseModel):
    """Sending back to the owner: the note (as the API's Rejection), and the change the office saw."""

    model_config = FORM

    note: Annotated[str, Field(min_length=1, max_length=1000), TEXT]
    change: Annotated[str, Field(max_length=36), LINE] | None = None


class DecisionForm(BaseModel):
    model_config = FORM

    change: Annotated[str, Field(min_length=1, max_length=36), LINE]


class ActionForm(ActionCreate):
    model_config = FORM


class PressForm(PressCreate):
    model_config = FORM


class MeetingForm(BaseModel):
    """A steering group meeting (as the API's MeetingCreate); its date is named apart from the action's."""

    model_config = FORM

    meeting_on: Day
    topic: Annotated[str, Field(min_length=1, max_length=2000), TEXT]
    attendees: Annotated[int, Field(ge=1, le=500)]

    def record(self) -> dict[str, Any]:
        return {"held_on": self.meeting_on, "topic": self.topic, "attendees": self.attendees}


class TitleForm(BaseModel):
    """The title's record (as the API's TitleRecord), named apart from the action's `kind` on the same page."""

    model_config = FORM

    title_kind: Literal["awarded", "renewed"]
    title_on: Day


class CouncilForm(BaseModel):
    model_config = FORM

    council_resolution_on: Day | None = None
    council_resolution_text: Annotated[str, Field(max_length=5000), TEXT] | None = None


class SteeringGroupForm(BaseModel):
    """One member (organisation or role, no private contact data) per line."""

    model_config = FORM

    steering_group: list[Member] = Field(default_factory=list, max_length=50)

    @field_validator("steering_group", mode="before")
    @classmethod
    def _one_per_line(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [line.strip() for line in re.split(r"\n", value) if line.strip()]
        return value


THOUSANDS = re.compile(r"^\d{1,3}([. ]\d{3})+$")


class PopulationForm(BaseModel):
    model_config = FORM

    population: Annotated[int, Field(ge=1, le=10_000_000)]

    @field_validator("population", mode="before")
    @classmethod
    def _german_thousands(cls, value: Any) -> Any:
        """ "117.000" is a hundred and seventeen thousand in German (a number parser would read 117)."""
        if isinstance(value, str) and THOUSANDS.match(value.strip()):
            return value.strip().replace(".", "").replace(" ", "")
        return value


UUID_IN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class MemberForm(BaseModel):
    """A business for a network: its id, or the address of its page (public or console), which holds it."""

    model_config = FORM

    business: Annotated[str, Field(min_length=1, max_length=300), LINE]

    @field_validator("business", mode="after")
    @classmethod
    def _the_id(cls, value: str) -> str:
        found = UUID_IN.search(value)
        if found is None:
            raise ValueError("no business id")
        return found.group().lower()


class AnnouncementForm(BaseModel):
    """The office's text to a network's members (as the owner notice carries it)."""

    model_config = FORM

    headline: Annotated[str, Field(min_length=1, max_length=200), LINE]
    message: Annotated[str, Field(min_length=1, max_length=5000), TEXT]
