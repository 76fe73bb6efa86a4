"""Composition root of the wifi service: wires routes, consumers and events to the shared runtime."""

from fastapi import FastAPI

from services.wifi import models
from services.wifi.api import router
from services.wifi.config import WifiSettings
from services.wifi.consumers import report_subscription
from services.wifi.handlers import Tuning, load_tuning
from services.wifi.jobs import status_watch
from shared.catalog import (
    HotspotIncidentOpened,
    HotspotIncidentResolved,
    HotspotMonthlyReport,
    HotspotRegistered,
    HotspotStatusChanged,
)
from shared.service import ServiceDefinition, build_app


def make_definition(tuning: Tuning) -> ServiceDefinition:
    return ServiceDefinition(
        name="wifi",
        description="The Wifi4EU hotspots downtown: host reports, status and availability.",
        metadata=models.metadata,
        outbox=models.outbox,
        inbox=models.inbox,
        routers=[router],
        publishes=[
            HotspotRegistered,
            HotspotStatusChanged,
            HotspotIncidentOpened,
            HotspotIncidentResolved,
            HotspotMonthlyReport,
        ],
        subscriptions=[report_subscription(tuning)],
        background=[status_watch(tuning)],
    )


def definition(settings: WifiSettings) -> ServiceDefinition:
    return make_definition(load_tuning(settings))


def create_app(settings: WifiSettings | None = None) -> FastAPI:
    settings = settings or WifiSettings()
    tuning = load_tuning(settings)
    app = build_app(make_definition(tuning), settings)
    app.state.tuning = tuning
    return app
