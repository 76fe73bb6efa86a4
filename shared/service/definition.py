"""`ServiceDefinition`: everything that makes one service what it is; `build_app` wires the rest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from sqlalchemy import MetaData, Table

from shared.asyncapi import build_asyncapi
from shared.catalog import EventData
from shared.consumer import Subscription

if TYPE_CHECKING:
    from shared.service.runtime import Runtime


@dataclass
class ServiceDefinition:
    """What one service is: its tables, routes, the events it publishes, its subscriptions and jobs."""

    name: str
    description: str
    metadata: MetaData
    outbox: Table
    inbox: Table
    routers: list[APIRouter] = field(default_factory=list)
    # The service's pages (shared/web/): HTML routes, not in the OpenAPI document.
    pages: list[APIRouter] = field(default_factory=list)
    publishes: list[type[EventData]] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    background: list[Callable[[Runtime], Awaitable[None]]] = field(default_factory=list)

    def asyncapi(self) -> dict[str, Any]:
        return build_asyncapi(
            self.name,
            publishes=self.publishes,
            subscriptions=self.subscriptions,
            description=self.description,
        )
