"""Credentials: tokens are random, shown once, stored only as SHA-256 digests, compared in constant time.

Every credential check ends in `check_credential` or `check_operator`: no token or an unknown one is
401, a valid token for another resource (or an operator whose role lacks the area) is 403, the same
rule for operators, hotspot hosts, owners and registrants. Operators: shared/console/.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.console import access
from shared.console.roles import Area, Operator
from shared.errors import Forbidden, Unauthenticated
from shared.http import routes_of
from shared.secrets import new_token as new_token  # its home is stdlib-only: `hallobot up` makes one

bearer = HTTPBearer(auto_error=False, description="Operator token, hotspot host token or edit token")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str | None, stored_hash: str | None) -> bool:
    if not token or not stored_hash:
        return False
    return hmac.compare_digest(hash_token(token).encode(), stored_hash.encode())


def check_credential(token: str | None, owner: str | None, resource_id: str, *, what: str = "credential") -> None:
    """`owner` is the resource the presented token belongs to (None when nobody issued it)."""
    if not token:
        raise Unauthenticated(f"{what} required")
    if owner is None:
        raise Unauthenticated(f"unknown {what}")
    if owner != resource_id:
        raise Forbidden(f"this {what} belongs to another resource")


async def presented_token(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> str | None:
    """The bearer token, if any; an operator's is resolved here (async: it sets the request's actor,
    shared/console/actor.py, which a sync dependency in a worker thread could not)."""
    token = credentials.credentials if credentials else None
    await access.resolve_bearer(request, token)
    return token


# What `TokenDep` puts in a route's OpenAPI operation (the bearer is optional: `{}` first), for a
# route that reads the token itself.
BEARER_SECURITY: dict[str, Any] = {"security": [{}, {bearer.scheme_name: []}]}


async def bearer_token(request: Request) -> str | None:
    """`TokenDep` read in the route itself, for the hottest route (a hotspot's report): the same token
    and the same operator resolution, without FastAPI solving two dependencies for every request
    (bench/README.md, report_cpu.py). Such a route declares `openapi_extra=BEARER_SECURITY`."""
    return await presented_token(request, await bearer(request))


TokenDep = Annotated[str | None, Depends(presented_token)]


def operator_of(request: Request, token: str | None) -> Operator | None:
    """The operator behind the request's bearer token, whatever their role (None: not an operator)."""
    return access.known_operator(request, token)


def is_operator(request: Request, token: str | None) -> bool:
    """An operator whose role reaches this service's area ("sees drafts" and the like)."""
    operator = operator_of(request, token)
    return operator is not None and operator.may(access.service_area(request))


def refuse_other_roles(request: Request, token: str | None) -> None:
    """An operator whose role lacks this service's area is 403 where the public may call too (a
    token is never silently taken as "no token")."""
    operator = operator_of(request, token)
    if operator is not None and not operator.may(access.service_area(request)):
        raise Forbidden("your role may not do this here")


def check_operator(request: Request, token: str | None, area: str) -> Operator:
    operator = operator_of(request, token)
    if operator is None:
        raise Unauthenticated("operator token required")
    if not operator.may(area):
        raise Forbidden("your role may not do this")
    return operator


async def require_operator(request: Request, token: TokenDep) -> Operator:
    """An operator of this service's area (shared/console/roles.py SERVICE_AREAS)."""
    return check_operator(request, token, access.service_area(request))


require_operator.operator_only = True  # type: ignore[attr-defined]
OperatorDep = Annotated[Operator, Depends(require_operator)]


def require_area(area: Area) -> Callable[..., Awaitable[Operator]]:
    """A dependency: an operator whose role reaches `area` (e.g. notifications' "accounts")."""

    async def operator_with_area(request: Request, token: TokenDep) -> Operator:
        return check_operator(request, token, area)

    operator_with_area.operator_only = True  # type: ignore[attr-defined]
    return operator_with_area


def _requires_operator(dependant: Dependant) -> bool:
    return any(getattr(dep.call, "operator_only", False) or _requires_operator(dep) for dep in dependant.dependencies)


def document_optional_credentials(app: FastAPI) -> None:
    """FastAPI documents the bearer scheme as required on every route that reads a token. Only the
    routes behind `require_operator` need one; elsewhere the public may call without (a citizen's
    registration, the search that shows the office more), so the document says the credential is
    optional there (`security: [{}, {HTTPBearer: []}]`), as clients and fuzzers read it."""
    build = app.openapi

    def documented() -> dict[str, Any]:
        schema = build()
        for prefix, route in routes_of(app):
            if not isinstance(route, APIRoute) or _requires_operator(route.dependant):
                continue
            path_item = schema.get("paths", {}).get(prefix + route.path_format, {})
            for method in route.methods or ():
                operation = path_item.get(method.lower(), {})
                security = operation.get("security")
                if security and {} not in security:
                    operation["security"] = [{}, *security]
        return schema

    app.openapi = documented  # type: ignore[method-assign]
