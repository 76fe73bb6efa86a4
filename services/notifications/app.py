"""Composition root of the notifications service: the one settings object, the `Wake` that the
senders wait on and the feed's `Broadcaster` are created here and handed to the consumers, the
background jobs and (through `app.state`) the routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

from services.notifications import (
    accounts_api,
    accounts_index,
    api,
    api_operators,
    api_web,
    deadletters_api,
    jobs,
    models,
    monitor_api,
    pages,
    pages_console,
    pages_console_accounts,
    pages_deliveries,
    pages_links,
    pages_live,
    pages_monitor,
    pages_privacy,
    pages_subscribe,
    queries,
)
from services.notifications.config import NotificationsSettings
from services.notifications.consumers import subscriptions
from services.notifications.feed import Broadcaster
from services.notifications.monitor_rebuild import Projector
from services.notifications.sentences import Names
from services.notifications.wake import Wake
from shared.catalog import (
    DeliveryFailed,
    DeliverySent,
    PrivacyAccessRequested,
    PrivacyErasureRequested,
    PrivacyRequestAnswered,
)
from shared.catalog.notifications_accounts import ACCOUNT_EVENTS
from shared.console.credentials import CredentialIndex
from shared.service import ServiceDefinition, build_app

Job = Callable[[Any], Awaitable[None]]


def _job(name: str, run: Job) -> Job:
    run.__name__ = name  # the task's name in the runtime
    return run


async def known_names(runtime: Any) -> Names:
    async with runtime.db.reading() as session:
        return await queries.names(session)


def definition(
    settings: NotificationsSettings,
    wake: Wake,
    feed: Broadcaster,
    credentials: CredentialIndex,
    projector: Projector | None = None,
) -> ServiceDefinition:
    projector = projector or Projector()
    return ServiceDefinition(
        name="notifications",
        description="Fan-out of events to email, the web and other city systems.",
        metadata=models.metadata,
        outbox=models.outbox,
        inbox=models.inbox,
        routers=[
            api.router,
            api_operators.router,
            deadletters_api.router,
            api_web.router,
            monitor_api.router,
            accounts_api.router,
        ],
        pages=[
            pages.router,
            pages_live.router,
            pages_subscribe.router,
            pages_links.router,
            pages_deliveries.router,
            pages_monitor.router,
            pages_console.router,
            pages_console_accounts.router,
            pages_privacy.router,
        ],
        publishes=[
            DeliverySent,
            DeliveryFailed,
            *ACCOUNT_EVENTS,
            PrivacyErasureRequested,
            PrivacyAccessRequested,
            PrivacyRequestAnswered,
        ],
        subscriptions=subscriptions(settings, wake),
        background=[
            _job("mail_sender", lambda runtime: jobs.mail_sender(runtime, wake)),
            _job("webhook_sender", lambda runtime: jobs.webhook_sender(runtime, wake)),
            _job("daily_jobs", lambda runtime: jobs.daily_jobs(runtime, wake)),
            _job("credential_index", lambda runtime: accounts_index.keep_index(runtime, credentials)),
            _job("feed_broadcaster", lambda runtime: feed.run(runtime.jetstream, lambda: known_names(runtime))),
            _job("monitor_projector", lambda runtime: projector.run(runtime)),
        ],
    )


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    wake, feed = Wake(), Broadcaster(settings.feed_max_clients, settings.feed_replay_limit)
    projector = Projector()  # the impact monitor's consumers (monitor_rebuild.py)
    credentials = CredentialIndex(settings.stream_replicas)  # notifications writes it (accounts_*.py)
    app = build_app(definition(settings, wake, feed, credentials, projector), settings, credentials=credentials)
    app.state.wake, app.state.feed, app.state.projector = wake, feed, projector
    app.state.pages = pages.pages  # error pages in the service's catalog
    return app
