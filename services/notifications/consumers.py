"""NATS subscriptions of the notifications service: every public domain stream and the private notices."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import handlers
from services.notifications.config import NotificationsSettings
from services.notifications.jobs import wake
from shared.catalog import (
    CATALOG,
    BusinessOwnerNotice,
    RegistrantNotice,
)
from shared.consumer import Delivery, Subscription


def _types(prefix: str) -> tuple:
    return tuple(model for name, model in CATALOG.items() if name.startswith(prefix))


PUBLIC = (
    ("directory", "DIRECTORY", "hallobot.directory.>", "directory."),
    ("events", "EVENTS", "hallobot.events.>", "events."),
    ("wifi", "WIFI", "hallobot.wifi.hotspot.>", "wifi.hotspot."),
    ("fairtrade", "FAIRTRADE", "hallobot.fairtrade.>", "fairtrade."),
)


def subscriptions(settings: NotificationsSettings) -> list[Subscription]:
    async def on_public_event(session: AsyncSession, delivery: Delivery) -> None:
        if await handlers.fan_out(session, settings, delivery.event):
            wake.after_commit(session)
        await handlers.track_hotspot(session, delivery.event)

    async def on_registrant_notices(session: AsyncSession, deliveries: list[Delivery]) -> None:
        """A fetched batch at once (one transaction, a few statements); a failing batch is retried one
        notice at a time by the consumer group."""
        notices = [(delivery.event, delivery.payload) for delivery in deliveries]
        if await handlers.notify_registrants(session, settings, notices):
            wake.after_commit(session)

    async def on_owner_notice(session: AsyncSession, delivery: Delivery) -> None:
        if await handlers.notify_owner(session, settings, delivery.event, delivery.payload):
            wake.after_commit(session)

    return [
        *(
            Subscription(
                name=f"notifications-{name}",
                stream=stream,
                subject=subject,
                handler=on_public_event,
                payload_types=_types(prefix),
                description=f"{stream} events to subscribers' mail and webhooks, and to the office where it should",
            )
            for name, stream, subject, prefix in PUBLIC
        ),
        Subscription(
            name="notifications-registrants",
            stream="PRIVATE",
            subject="hallobot.private.events.registration.notice.>",
            batch_handler=on_registrant_notices,
            payload_types=(RegistrantNotice,),
            description="registrant mails (confirmation, waiting list, promotion, cancellation, reminder)",
        ),
        Subscription(
            name="notifications-owners",
            stream="PRIVATE",
            subject="hallobot.private.directory.business.owner_notice.>",
            handler=on_owner_notice,
            payload_types=(BusinessOwnerNotice,),
            description="business owner mails (profile published, stale profile nudge)",
        ),
    ]
