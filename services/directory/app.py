"""Composition root of the directory service: wires routes, consumers and events to the shared runtime."""

from fastapi import FastAPI

from services.directory import models
from shared.catalog import BusinessRegistered, BusinessUpdated, BusinessPublished, BusinessUnpublished, BusinessArchived, CriterionMet, CriterionLost, MilestoneReached, RecertificationDue
from shared.config import ServiceSettings
from shared.service import ServiceDefinition, build_app

definition = ServiceDefinition(
    name="directory",
    description="Business profiles for hallo-bot.de and the Fairtrade-Town campaign.",
    metadata=models.metadata,
    outbox=models.outbox,
    inbox=models.inbox,
    publishes=[BusinessRegistered, BusinessUpdated, BusinessPublished, BusinessUnpublished, BusinessArchived, CriterionMet, CriterionLost, MilestoneReached, RecertificationDue],
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return build_app(definition, settings)
