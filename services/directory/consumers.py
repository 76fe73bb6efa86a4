"""The directory's one subscription: published events of the events service, for the networks'
meetings (a published event of a network's meeting series invites that network's members)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.config import DirectorySettings
from services.directory.network_handlers import invite
from shared.catalog import EventPublished
from shared.consumer import Delivery, Subscription


def subscriptions(settings: DirectorySettings) -> list[Subscription]:
    async def on_event_published(session: AsyncSession, delivery: Delivery) -> None:
        await invite(session, delivery.payload, settings=settings)

    return [
        Subscription(
            name="directory-meetings",
            stream="EVENTS",
            subject="hallobot.events.event.published.>",
            handler=on_event_published,
            payload_types=(EventPublished,),
            description="published events of a network's meeting series: an invitation to each member",
            # notifications alone holds the replay of dead letters (deploy/nats/accounts.conf)
            replayable=False,
        )
    ]
