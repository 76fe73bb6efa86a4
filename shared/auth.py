"""Credentials: tokens are random, shown once, stored only as SHA-256 digests, compared in constant time.

Every credential check ends in `check_credential`: no token or an unknown one is 401, a valid token
for another resource is 403 (the same rule for operators, hotspot hosts, owners and registrants).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, Unauthenticated
from shared.http import routes_of

bearer = HTTPBearer(auto_error=False, description="Operator token, hotspot host token or edit token")


def new_token(prefix: str = "hb") -> str:
    """A fresh credential, e.g. `hbo_…` for operators; high entropy, so a plain SHA-256 suffices."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


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


def presented_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str | None:
    return credentials.credentials if credentials else None


TokenDep = Annotated[str | None, Depends(presented_token)]


def is_operator(request: Request, token: str | None) -> bool:
    operator_hash: str | None = request.app.state.operator_token_hash
    return token_matches(token, operator_hash)


def require_operator(request: Request, token: TokenDep) -> None:
    if not is_operator(request, token):
        raise Unauthenticated("operator token required")


OperatorDep = Annotated[None, Depends(require_operator)]


def _requires_operator(dependant: Dependant) -> bool:
    return any(dep.call is require_operator or _requires_operator(dep) for dep in dependant.dependencies)


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
