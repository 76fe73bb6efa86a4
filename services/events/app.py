"""Composition root of the events service: the only place that creates its settings and wires routes,
jobs and events to the shared runtime."""

from fastapi import FastAPI

from services.events import (
    api,
    api_attendance,
    api_registrations,
    models,
    pages,
    pages_cancel,
    pages_console,
    pages_console_forms,
    pages_door,
    pages_event,
    pages_reconfirm,
    privacy,
)
from services.events.config import EventsSettings
from services.events.jobs import periodic_jobs
from services.events.registration_desk import RegistrationDesk
from shared.catalog import (
    EventAttendanceClosed,
    EventCancelled,
    EventPublished,
    EventReminderDue,
    EventUpdated,
    PrivacyRequestAnswered,
    RegistrantNotice,
    RegistrationAttendanceUndone,
    RegistrationAttended,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationReconfirmationRequested,
    RegistrationReconfirmed,
    RegistrationReleased,
    RegistrationWaitlisted,
)
from shared.privacy import privacy_subscription
from shared.service import ServiceDefinition, build_app


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="events",
        description="The business event series: events, registrations, waitlists and consultation slots.",
        metadata=models.metadata,
        outbox=models.outbox,
        inbox=models.inbox,
        routers=[api.router, api_registrations.router, api_attendance.router],
        # the fixed paths (/veranstaltungen/abmelden) before the event page's /veranstaltungen/{id}
        pages=[
            pages.router,
            pages_cancel.router,
            pages_reconfirm.router,
            pages_console_forms.router,  # /neu and /reihen before the event's /{event_id}
            pages_console.router,
            pages_door.router,
            pages_event.router,
        ],
        publishes=[
            EventPublished,
            EventUpdated,
            EventCancelled,
            EventReminderDue,
            RegistrationConfirmed,
            RegistrationWaitlisted,
            RegistrationPromoted,
            RegistrationCancelled,
            RegistrantNotice,
            RegistrationAttended,
            RegistrationAttendanceUndone,
            EventAttendanceClosed,
            RegistrationReconfirmationRequested,
            RegistrationReconfirmed,
            RegistrationReleased,
            PrivacyRequestAnswered,
        ],
        subscriptions=[privacy_subscription("events", models.outbox, privacy.answer)],
        background=[periodic_jobs],
    )


def create_app(settings: EventsSettings | None = None) -> FastAPI:
    settings = settings or EventsSettings()
    app = build_app(definition(), settings)
    app.state.pages = pages.pages  # error pages in the service's words and catalog
    # registrations for one event are decided in batches (registration_desk.py), on the runtime's database
    app.state.registration_desk = RegistrationDesk(lambda: app.state.runtime.db, settings.link)
    return app
