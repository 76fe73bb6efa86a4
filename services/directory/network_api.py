"""HTTP routes of the networks: the public list with its published members, and the office's
membership and message to the members (the same use cases as the console, network_handlers.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from services.directory import network_handlers, network_queries
from shared.auth import OperatorDep
from shared.envelope import utcnow
from shared.inputs import LINE, TEXT
from shared.service import ReadingDep, TransactionDep

router = APIRouter(tags=["networks"])

Slug = Annotated[str, Path(max_length=40, description="das Netzwerk / the network, e.g. wirtschaftsallianz")]
BusinessId = Annotated[str, Path(max_length=36, description="die Kennung des Eintrags / the profile's id")]


class NetworkMember(BaseModel):
    business_id: str
    name: str


class Network(BaseModel):
    slug: str
    name: str
    meeting_series: str = Field(description="the events series whose published events invite the members")
    members: list[NetworkMember] = Field(description="published members only")


class Membership(BaseModel):
    network: str
    business_id: str
    member: bool
    changed: bool = Field(description="false: it was a member (or not) already; nothing was announced")


class Announcement(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    headline: Annotated[str, Field(min_length=1, max_length=200), LINE]
    message: Annotated[str, Field(min_length=1, max_length=5000), TEXT]


class AnnouncementSent(BaseModel):
    recipients: int = Field(description="members with an owner address (not archived), one mail each")


@router.get("/networks", response_model=list[Network], summary="Netzwerke / the networks and their published members")
async def list_networks(session: ReadingDep) -> list[Network]:
    found = []
    for network in await network_queries.all_networks(session):
        members = await network_queries.members(session, network["slug"], published_only=True)
        found.append(
            Network(
                **network,
                members=[NetworkMember(business_id=m["id"], name=m["name"]) for m in members],
            )
        )
    return found


@router.put(
    "/networks/{slug}/members/{business_id}",
    response_model=Membership,
    summary="Mitglied aufnehmen / add a member (office); directory.network.member_joined",
)
async def add_member(slug: Slug, business_id: BusinessId, session: TransactionDep, _: OperatorDep) -> Membership:
    changed = await network_handlers.join(session, slug, business_id, now=utcnow())
    return Membership(network=slug, business_id=business_id, member=True, changed=changed)


@router.delete(
    "/networks/{slug}/members/{business_id}",
    response_model=Membership,
    summary="Mitglied entfernen / remove a member (office); directory.network.member_left",
)
async def remove_member(slug: Slug, business_id: BusinessId, session: TransactionDep, _: OperatorDep) -> Membership:
    changed = await network_handlers.leave(session, slug, business_id)
    return Membership(network=slug, business_id=business_id, member=False, changed=changed)


@router.post(
    "/networks/{slug}/announcements",
    response_model=AnnouncementSent,
    summary="Nachricht an die Mitglieder / a message to every member, by mail (office)",
)
async def announce(slug: Slug, body: Announcement, session: TransactionDep, _: OperatorDep) -> AnnouncementSent:
    recipients = await network_handlers.announce(session, slug, body.headline, body.message, now=utcnow())
    return AnnouncementSent(recipients=recipients)
