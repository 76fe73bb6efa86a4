"""The four services by name: their settings classes and app factories, imported only when asked for."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import FastAPI

from shared.config import SERVICES, ServiceSettings

SETTINGS_CLASSES = {
    "directory": "DirectorySettings",
    "events": "EventsSettings",
    "wifi": "WifiSettings",
    "notifications": "NotificationsSettings",
}


def _known(service: str) -> str:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    return service


def settings_for(service: str, **overrides: Any) -> ServiceSettings:
    """The service's settings, read from the environment (`overrides` win)."""
    module = importlib.import_module(f"services.{_known(service)}.config")
    settings: ServiceSettings = getattr(module, SETTINGS_CLASSES[service])(**overrides)
    return settings


def create_app(service: str, settings: ServiceSettings | None = None) -> FastAPI:
    module = importlib.import_module(f"services.{_known(service)}.app")
    app: FastAPI = module.create_app(settings or settings_for(service))
    return app
