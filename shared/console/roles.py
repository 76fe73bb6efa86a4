"""Roles → areas: the one table of what each operator role may do.

Each service's operator routes and pages need the service's own area; notifications' account pages
need "accounts", the impact monitor "monitor", the audit page "audit", the data protection requests
"privacy". A valid credential whose
role lacks the area is 403; no credential, or an unknown or expired one, is 401."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["admin", "office", "events", "wifi"]
ROLES: tuple[Role, ...] = get_args(Role)
Area = Literal["directory", "events", "wifi", "deliveries", "monitor", "audit", "privacy", "accounts"]
AREAS: tuple[Area, ...] = get_args(Area)

ROLE_AREAS: dict[Role, frozenset[Area]] = {
    "admin": frozenset(AREAS),
    # privacy: the office takes the DSGVO requests at its counter (identity check) and already reaches
    # the data they concern; a separate area, so it can be withdrawn from "office" alone
    "office": frozenset({"directory", "events", "wifi", "deliveries", "monitor", "audit", "privacy"}),
    "events": frozenset({"events"}),
    "wifi": frozenset({"wifi"}),
}

# The area a service's operator routes and pages need (directory: also the Fairtrade campaign).
SERVICE_AREAS: dict[str, Area] = {
    "directory": "directory",
    "events": "events",
    "wifi": "wifi",
    "notifications": "deliveries",
}

BOOTSTRAP = "bootstrap"  # the actor and account id of HALLOBOT_OPERATOR_TOKEN


@dataclass(frozen=True)
class Operator:
    """Who is asking: an account id (or `bootstrap`) and its role."""

    account_id: str
    role: Role

    def may(self, area: str) -> bool:
        return area in ROLE_AREAS.get(self.role, frozenset())


def is_role(value: str) -> bool:
    return value in ROLES
