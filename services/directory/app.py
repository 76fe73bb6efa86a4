"""Composition root of the directory service: the only place that creates its settings and wires
routes, jobs and events to the shared runtime."""

from fastapi import FastAPI

from services.directory import models, privacy
from services.directory.api import router
from services.directory.config import DirectorySettings
from services.directory.consumers import subscriptions
from services.directory.fairtrade_api import router as fairtrade_router
from services.directory.jobs import periodic_jobs
from services.directory.network_api import router as network_router
from services.directory.pages import pages
from services.directory.pages_console import router as console_pages
from services.directory.pages_console_dossier import router as console_dossier_pages
from services.directory.pages_console_edit import router as console_edit_pages
from services.directory.pages_console_fairtrade import router as console_fairtrade_pages
from services.directory.pages_console_networks import router as console_network_pages
from services.directory.pages_console_review import router as console_review_pages
from services.directory.pages_owner import router as owner_pages
from services.directory.pages_owner_link import router as owner_link_pages
from services.directory.pages_public import router as public_pages
from services.directory.pages_signup import router as signup_pages
from services.directory.review_api import router as review_router
from services.directory.search_cache import SearchCache
from shared.catalog import (
    BusinessArchived,
    BusinessOwnerNotice,
    BusinessPublished,
    BusinessRegistered,
    BusinessUnpublished,
    BusinessUpdated,
    CriterionLost,
    CriterionMet,
    MilestoneReached,
    NetworkMemberJoined,
    NetworkMemberLeft,
    OfferPublished,
    OfferUpdated,
    OfferWithdrawn,
    PrivacyRequestAnswered,
    RecertificationDue,
)
from shared.privacy import privacy_subscription
from shared.service import ServiceDefinition, build_app


def definition(settings: DirectorySettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="directory",
        description="Business profiles for hallo-bot.de, the networks and the Fairtrade-Town campaign. Shops' "
        "delivery and pickup offers travel whole as directory.offer.* events for the city's logistics systems "
        "(the Louise project; examples/louise_subscriber.py reads them as the read-only city user and replays "
        "from the start).",
        metadata=models.metadata,
        outbox=models.outbox,
        inbox=models.inbox,
        routers=[router, review_router, fairtrade_router, network_router],
        # the sign-up and owner pages before /verzeichnis/<id> (which takes UUIDs only, so the order is
        # a second safeguard); the Fairtrade-Town page is answered by the campaign's API route
        pages=[
            signup_pages,
            owner_link_pages,
            owner_pages,
            public_pages,
            # the office's console (/verwaltung/verzeichnis…, /verwaltung/fairtrade…), each behind one gate
            console_pages,
            console_review_pages,
            console_edit_pages,
            console_fairtrade_pages,
            console_dossier_pages,
            console_network_pages,
        ],
        publishes=[
            BusinessRegistered,
            BusinessUpdated,
            BusinessPublished,
            BusinessUnpublished,
            BusinessArchived,
            OfferPublished,
            OfferUpdated,
            OfferWithdrawn,
            CriterionMet,
            CriterionLost,
            MilestoneReached,
            RecertificationDue,
            BusinessOwnerNotice,
            NetworkMemberJoined,
            NetworkMemberLeft,
            PrivacyRequestAnswered,
        ],
        subscriptions=[*subscriptions(settings), privacy_subscription("directory", models.outbox, privacy.answer)],
        background=[periodic_jobs],
    )


def create_app(settings: DirectorySettings | None = None) -> FastAPI:
    settings = settings or DirectorySettings()
    app = build_app(definition(settings), settings)
    app.state.pages = pages  # error pages in the directory's words and catalog
    app.state.search_cache = SearchCache(settings.search_cache_s)  # the search page's recent results
    return app
