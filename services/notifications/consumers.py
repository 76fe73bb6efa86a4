"""NATS subscriptions of the notifications service: every public domain stream and the private notices."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import models, privacy
from services.notifications.config import NotificationsSettings
from services.notifications.handlers_fanout import fan_out, notify_owner, notify_registrants
from services.notifications.handlers_public import track_business, track_calendar, track_hotspot
from services.notifications.repository import SqlRepository
from services.notifications.wake import Wake
from shared.catalog import (
    CATALOG,
    BusinessOwnerNotice,
    EventData,
    PrivacyRequestAnswered,
    RegistrantNotice,
)
from shared.consumer import Delivery, Subscription
from shared.envelope import CloudEvent
from shared.privacy import ANSWERS_SUBJECT, Request, privacy_subscription


def _types(prefix: str) -> tuple[type[EventData], ...]:
    return tuple(model for name, model in CATALOG.items() if name.startswith(prefix))


PUBLIC = (
    ("directory", "DIRECTORY", "hallobot.directory.>", "directory."),
    ("events", "EVENTS", "hallobot.events.>", "events."),
    ("wifi", "WIFI", "hallobot.wifi.hotspot.>", "wifi.hotspot."),
    ("fairtrade", "FAIRTRADE", "hallobot.fairtrade.>", "fairtrade."),
)


def _event(delivery: Delivery) -> CloudEvent:
    assert delivery.event is not None  # catalog subscriptions decode the envelope
    return delivery.event


def subscriptions(settings: NotificationsSettings, wake: Wake) -> list[Subscription]:
    """The consumers, given the service's settings and the `Wake` its senders wait on (app.py)."""

    async def on_public_event(session: AsyncSession, delivery: Delivery) -> None:
        repo = SqlRepository(session)
        if await fan_out(repo, settings, _event(delivery)):
            wake.after_commit(session)
        await track_hotspot(repo, _event(delivery))
        await track_calendar(repo, _event(delivery))
        await track_business(repo, _event(delivery))  # after fan_out: it asked about the state before

    async def on_registrant_notices(session: AsyncSession, deliveries: list[Delivery]) -> None:
        """A fetched batch at once (one transaction, a few statements); a failing batch is retried one
        notice at a time by the consumer group."""
        notices = [(_event(delivery), delivery.payload) for delivery in deliveries]
        notices = await privacy.without_erased(session, settings.secret_key.get_secret_value(), notices)
        if notices and await notify_registrants(SqlRepository(session), settings, notices):
            wake.after_commit(session)

    async def on_owner_notice(session: AsyncSession, delivery: Delivery) -> None:
        key = settings.secret_key.get_secret_value()
        if not await privacy.without_erased(session, key, [(_event(delivery), delivery.payload)]):
            return  # about an address erased since: no mail
        if await notify_owner(SqlRepository(session), settings, _event(delivery), delivery.payload):
            wake.after_commit(session)

    async def own_answer(session: AsyncSession, request: Request) -> tuple[PrivacyRequestAnswered, list[int]]:
        return await privacy.answer(session, request, settings.secret_key.get_secret_value())

    async def on_privacy_answer(session: AsyncSession, delivery: Delivery) -> None:
        await privacy.record_answer(session, delivery.payload, _event(delivery).time)

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
            description=(
                "business owner mails (signed up, new edit link, profile published, stale profile nudge, "
                "sent back, change rejected; to network members: meeting invitation, announcement)"
            ),
        ),
        privacy_subscription("notifications", models.outbox, own_answer),
        Subscription(
            name="notifications-privacy-answers",
            stream="PRIVATE",
            subject=ANSWERS_SUBJECT,
            handler=on_privacy_answer,
            payload_types=(PrivacyRequestAnswered,),
            description="every service's answer to a data protection request, gathered into the office's report",
        ),
    ]
