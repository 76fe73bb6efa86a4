"""Credentials: tokens are random, shown once, stored only as SHA-256 digests, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

bearer = HTTPBearer(auto_error=False, description="Operator token, hotspot host token or edit token")


def new_token(prefix: str = "hb") -> str:
    """A fresh credential, e.g. `hbo_…` for operators; high entropy, so a plain SHA-256 suffices."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


def unauthorized(detail: str = "missing or invalid credential") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str = "this credential is not valid for this resource") -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail)


def presented_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str | None:
    return credentials.credentials if credentials else None


TokenDep = Annotated[str | None, Depends(presented_token)]


def is_operator(request: Request, token: str | None) -> bool:
    operator_hash: str | None = request.app.state.operator_token_hash
    return bool(token and operator_hash and token_matches(token, operator_hash))


def require_operator(request: Request, token: TokenDep) -> None:
    if not is_operator(request, token):
        raise unauthorized("operator token required")


OperatorDep = Annotated[None, Depends(require_operator)]
