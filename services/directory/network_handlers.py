"""Use cases of the networks: join, leave, write to the members, invite them to a meeting. Each runs
on the caller's transaction (state and outbox together); the rules are in domain_networks.py."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import domain_networks as rules
from services.directory.config import DirectorySettings
from services.directory.models import businesses, network_announcements, network_members, networks, outbox
from shared.catalog import EventPublished
from shared.db import dialect_insert
from shared.errors import NotFound
from shared.outbox import add_event, add_events

NO_NETWORK = "Dieses Netzwerk gibt es nicht. / No such network."
NO_BUSINESS = "Eintrag nicht gefunden / business not found"


async def get_network(session: AsyncSession, slug: str) -> dict[str, Any]:
    row = (await session.execute(select(networks).where(networks.c.slug == slug))).first()
    if row is None:
        raise NotFound(NO_NETWORK, field="network")
    return dict(row._mapping)


async def _profile(session: AsyncSession, business_id: str) -> dict[str, Any]:
    columns = (businesses.c.id, businesses.c.name, businesses.c.status)
    row = (await session.execute(select(*columns).where(businesses.c.id == business_id))).first()
    if row is None:
        raise NotFound(NO_BUSINESS, field="business_id")
    return dict(row._mapping)


async def _is_member(session: AsyncSession, slug: str, business_id: str) -> bool:
    query = select(network_members.c.business_id).where(
        network_members.c.network == slug, network_members.c.business_id == business_id
    )
    return (await session.execute(query)).first() is not None


async def join(session: AsyncSession, slug: str, business_id: str, *, now: datetime) -> bool:
    """The business becomes a member (`directory.network.member_joined`); False if it was one already."""
    network, profile = await get_network(session, slug), await _profile(session, business_id)
    rules.check_may_join(profile)
    if await _is_member(session, slug, business_id):
        return False
    # two offices adding the same business at once: the second insert is no row, and no second event
    insert = dialect_insert(session)(network_members).values(network=slug, business_id=business_id, joined_at=now)
    added = await session.execute(insert.on_conflict_do_nothing())
    if not added.rowcount:  # type: ignore[attr-defined]
        return False
    await add_event(session, outbox, rules.membership_event(True, network, profile))
    return True


async def leave(session: AsyncSession, slug: str, business_id: str) -> bool:
    """The business is no longer a member (`directory.network.member_left`); False if it was none."""
    network, profile = await get_network(session, slug), await _profile(session, business_id)
    gone = await session.execute(
        delete(network_members).where(network_members.c.network == slug, network_members.c.business_id == business_id)
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        return False
    await add_event(session, outbox, rules.membership_event(False, network, profile))
    return True


async def reachable_members(session: AsyncSession, slug: str) -> list[dict[str, Any]]:
    b = businesses
    query = (
        select(b.c.id, b.c.name, b.c.status, b.c.owner_email, b.c.owner_language)
        .join(network_members, network_members.c.business_id == b.c.id)
        .where(network_members.c.network == slug)
        .order_by(b.c.name, b.c.id)
    )
    rows = [dict(row._mapping) for row in await session.execute(query)]
    return [row for row in rows if rules.reaches(row)]


async def announce(session: AsyncSession, slug: str, headline: str, message: str, *, now: datetime) -> int:
    """The office's text to every member with an owner address, one private owner notice each; recorded
    with the number of recipients. Returns that number."""
    network = await get_network(session, slug)
    members = await reachable_members(session, slug)
    await add_events(session, outbox, [rules.announcement(network, member, headline, message) for member in members])
    await session.execute(
        network_announcements.insert().values(
            id=str(uuid.uuid4()),
            network=slug,
            headline=headline,
            message=message,
            recipients=len(members),
            sent_at=now,
        )
    )
    return len(members)


async def invite(session: AsyncSession, event: EventPublished, *, settings: DirectorySettings) -> int:
    """A published event of a network's meeting series: an invitation to each member with an owner
    address (the consumer's inbox makes a redelivered event invite nobody twice). Returns how many."""
    rows = (await session.execute(select(networks))).all()
    network: Mapping[str, Any] | None = rules.meeting_of(event, [dict(row._mapping) for row in rows])
    if network is None:
        return 0
    members = await reachable_members(session, network["slug"])
    event_url = settings.link(f"/veranstaltungen/{event.event_id}")
    await add_events(session, outbox, [rules.invitation(network, member, event, event_url) for member in members])
    return len(members)
