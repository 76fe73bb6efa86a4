"""Composition root of the wifi service: wires routes, consumers and events to the shared runtime."""

from fastapi import FastAPI

from services.wifi import models
from services.wifi.api import router
from services.wifi.api_duty import router as duty_router
from services.wifi.config import WifiSettings
from services.wifi.consumers import report_subscription
from services.wifi.jobs import watch_status
from services.wifi.pages import pages
from services.wifi.pages import router as pages_router
from services.wifi.pages_console import router as console_router
from services.wifi.pages_host import router as host_router
from shared.catalog import (
    HotspotIncidentOpened,
    HotspotIncidentResolved,
    HotspotMonthlyReport,
    HotspotOutageAnnounced,
    HotspotRecoveryAnnounced,
    HotspotRegistered,
    HotspotRenamed,
    HotspotStatusChanged,
)
from shared.service import ServiceDefinition, build_app


def definition(settings: WifiSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="wifi",
        description="The Wifi4EU hotspots downtown: host reports, status and availability.",
        metadata=models.metadata,
        outbox=models.outbox,
        inbox=models.inbox,
        routers=[router, duty_router],
        pages=[host_router, pages_router, console_router],  # /wlan/standort before /wlan/{hotspot_id}
        publishes=[
            HotspotRegistered,
            HotspotRenamed,
            HotspotStatusChanged,
            HotspotIncidentOpened,
            HotspotIncidentResolved,
            HotspotOutageAnnounced,
            HotspotRecoveryAnnounced,
            HotspotMonthlyReport,
        ],
        subscriptions=[report_subscription(settings, limited=True)],
        background=[watch_status],
    )


def create_app(settings: WifiSettings | None = None) -> FastAPI:
    settings = settings or WifiSettings()
    app = build_app(definition(settings), settings)
    app.state.pages = pages  # error pages in the wifi catalog's words
    return app
