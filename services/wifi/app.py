"""Composition root of the wifi service: wires routes, consumers and events to the shared runtime."""

from fastapi import FastAPI

from services.wifi import models
from shared.catalog import HotspotRegistered, HotspotStatusChanged
from shared.config import ServiceSettings
from shared.service import ServiceDefinition, build_app

definition = ServiceDefinition(
    name="wifi",
    description="The Wifi4EU hotspots downtown: host reports, status and availability.",
    metadata=models.metadata,
    outbox=models.outbox,
    inbox=models.inbox,
    publishes=[HotspotRegistered, HotspotStatusChanged],
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return build_app(definition, settings)
