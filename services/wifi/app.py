"""Composition root of the wifi service: wires routes, consumers and events to the shared runtime."""

from fastapi import FastAPI

from services.wifi import models
from services.wifi.api import router
from services.wifi.consumers import report_subscription
from services.wifi.handlers import Tuning, load_tuning
from services.wifi.jobs import status_watch
from shared.catalog import (
    HotspotIncidentOpened, HotspotIncidentResolved, HotspotMonthlyReport, HotspotRegistered, HotspotStatusChanged,
)
from shared.config import ServiceSettings, service_settings
from shared.service import ServiceDefinition, build_app


def make_definition(tuning: Tuning) -> ServiceDefinition:
    return ServiceDefinition(
        name="wifi",
        description="The Wifi4EU hotspots downtown: host reports, status and availability.",
        metadata=models.metadata,
        outbox=models.outbox,
        inbox=models.inbox,
        routers=[router],
        publishes=[HotspotRegistered, HotspotStatusChanged, HotspotIncidentOpened, HotspotIncidentResolved,
                   HotspotMonthlyReport],
        subscriptions=[report_subscription(tuning)],
        background=[status_watch(tuning)],
    )


definition = make_definition(load_tuning(service_settings("wifi")))


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or service_settings("wifi")
    tuning = load_tuning(settings)
    app = build_app(make_definition(tuning), settings)
    app.state.tuning = tuning
    return app
