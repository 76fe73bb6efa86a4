"""Composition root of the notifications service: wires routes, consumers and events to the shared runtime."""

from fastapi import FastAPI

from services.notifications import models
from shared.catalog import DeliverySent, DeliveryFailed
from shared.config import ServiceSettings
from shared.service import ServiceDefinition, build_app

definition = ServiceDefinition(
    name="notifications",
    description="Fan-out of events to email, the web and other city systems.",
    metadata=models.metadata,
    outbox=models.outbox,
    inbox=models.inbox,
    publishes=[DeliverySent, DeliveryFailed],
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return build_app(definition, settings)
