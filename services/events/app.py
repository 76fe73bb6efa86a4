"""Composition root of the events service: wires routes, consumers and events to the shared runtime."""

from fastapi import FastAPI

from services.events import models
from shared.catalog import EventPublished, EventUpdated, EventCancelled, RegistrationConfirmed, RegistrationWaitlisted, RegistrationPromoted, RegistrationCancelled
from shared.config import ServiceSettings
from shared.service import ServiceDefinition, build_app

definition = ServiceDefinition(
    name="events",
    description="The business event series: events, registrations, waitlists and consultation slots.",
    metadata=models.metadata,
    outbox=models.outbox,
    inbox=models.inbox,
    publishes=[EventPublished, EventUpdated, EventCancelled, RegistrationConfirmed, RegistrationWaitlisted, RegistrationPromoted, RegistrationCancelled],
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return build_app(definition, settings)
