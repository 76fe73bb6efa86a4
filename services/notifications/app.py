"""Composition root of the notifications service: wires routes, consumers, senders and events."""

from fastapi import FastAPI

from services.notifications import models
from services.notifications.api import router
from services.notifications.config import NotificationsSettings
from services.notifications.consumers import subscriptions
from services.notifications.feed import feed_broadcaster
from services.notifications.jobs import daily_jobs, mail_sender, webhook_sender
from shared.catalog import DeliveryFailed, DeliverySent
from shared.service import ServiceDefinition, build_app


def definition(settings: NotificationsSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="notifications",
        description="Fan-out of events to email, the web and other city systems.",
        metadata=models.metadata,
        outbox=models.outbox,
        inbox=models.inbox,
        routers=[router],
        publishes=[DeliverySent, DeliveryFailed],
        subscriptions=subscriptions(settings),
        background=[mail_sender, webhook_sender, daily_jobs, feed_broadcaster],
    )


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    return build_app(definition(settings), settings)
