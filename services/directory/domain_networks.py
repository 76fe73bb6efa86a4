"""The office's networks, no I/O: who may join, what a membership change announces, which published
event is a network's meeting, and the owner notices that go to the members (invitation, announcement)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.directory.domain import ARCHIVED, PUBLISHED
from shared.catalog import BusinessOwnerNotice, EventPublished, NetworkMemberJoined, NetworkMemberLeft
from shared.errors import Conflict

ARCHIVED_CANNOT_JOIN = (
    "Ein archivierter Eintrag kann keinem Netzwerk beitreten. / An archived business cannot join a network."
)


def check_may_join(profile: Mapping[str, Any]) -> None:
    if profile["status"] == ARCHIVED:
        raise Conflict(ARCHIVED_CANNOT_JOIN, field="business_id")


def public_name(profile: Mapping[str, Any]) -> str | None:
    """The business's name on a public subject: only while the office has it published (reviewed)."""
    return str(profile["name"]) if profile["status"] == PUBLISHED else None


def membership_event(
    joined: bool, network: Mapping[str, Any], profile: Mapping[str, Any]
) -> NetworkMemberJoined | NetworkMemberLeft:
    kind = NetworkMemberJoined if joined else NetworkMemberLeft
    return kind(
        network=network["slug"], network_name=network["name"], business_id=profile["id"], name=public_name(profile)
    )


def fold(text: str | None) -> str:
    """A series name as compared: case and spacing do not matter."""
    return " ".join((text or "").split()).casefold()


def meeting_of(event: EventPublished, networks: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The network whose meetings are the series of this published event, if any."""
    series = fold(event.series)
    if not series:
        return None
    return next((network for network in networks if fold(network["meeting_series"]) == series), None)


def reaches(profile: Mapping[str, Any]) -> bool:
    """A member hears from its network when it has an owner address and is not archived."""
    return bool(profile.get("owner_email")) and profile["status"] != ARCHIVED


def invitation(
    network: Mapping[str, Any], profile: Mapping[str, Any], event: EventPublished, event_url: str
) -> BusinessOwnerNotice:
    return BusinessOwnerNotice(
        business_id=profile["id"],
        business_name=profile["name"],
        kind="network_invitation",
        email=profile["owner_email"],
        language=profile.get("owner_language") or "de",
        network_name=network["name"],
        event_title=event.title,
        starts_at=event.starts_at,
        event_url=event_url,
    )


def announcement(
    network: Mapping[str, Any], profile: Mapping[str, Any], headline: str, message: str
) -> BusinessOwnerNotice:
    return BusinessOwnerNotice(
        business_id=profile["id"],
        business_name=profile["name"],
        kind="network_announcement",
        email=profile["owner_email"],
        language=profile.get("owner_language") or "de",
        network_name=network["name"],
        headline=headline,
        message=message,
    )
