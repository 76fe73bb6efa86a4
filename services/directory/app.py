"""Composition root of the directory service: wires routes, jobs and events to the shared runtime."""

from fastapi import FastAPI

from services.directory import models
from services.directory.api import router
from services.directory.fairtrade_api import router as fairtrade_router
from services.directory.jobs import periodic_jobs
from services.directory.ratelimit import SlidingWindowLimiter
from services.directory.schemas import DirectorySettings
from shared.catalog import (
    BusinessArchived, BusinessOwnerNotice, BusinessPublished, BusinessRegistered, BusinessUnpublished, BusinessUpdated, CriterionLost,
    CriterionMet, MilestoneReached, RecertificationDue,
)
from shared.config import ServiceSettings
from shared.service import ServiceDefinition, build_app


def make_definition(settings: DirectorySettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="directory",
        description="Business profiles for hallo-bot.de and the Fairtrade-Town campaign.",
        metadata=models.metadata,
        outbox=models.outbox,
        inbox=models.inbox,
        routers=[router, fairtrade_router],
        publishes=[BusinessRegistered, BusinessUpdated, BusinessPublished, BusinessUnpublished, BusinessArchived,
                   CriterionMet, CriterionLost, MilestoneReached, RecertificationDue, BusinessOwnerNotice],
        background=[periodic_jobs(settings)],
    )


definition = make_definition(DirectorySettings())


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    directory_settings = DirectorySettings()
    app = build_app(make_definition(directory_settings), settings)
    app.state.directory_settings = directory_settings
    app.state.registration_limiter = SlidingWindowLimiter(
        directory_settings.registration_limit, directory_settings.registration_window_s
    )
    return app
