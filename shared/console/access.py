"""Who the operator of a request is, and what they may reach.

API routes take `Authorization: Bearer <token>`: HALLOBOT_OPERATOR_TOKEN (checked locally, the
operator `bootstrap` with the admin role) or an account's API token (prefix `hbo_`, looked up in
the credential index). Console pages take the session cookie `hallobot_verwaltung` and never a
bearer token; API routes never take the cookie, so the API needs no CSRF protection.

A page without a valid session answers with 303 to the login page (`LoginRequired`); a valid
credential whose role lacks the area is 403, none or an unknown one 401 (shared/auth.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from itsdangerous import BadSignature, Signer

from shared import auth  # a module import: shared/auth.py imports this module too
from shared.console.actor import set_actor
from shared.console.credentials import CredentialIndex
from shared.console.roles import BOOTSTRAP, SERVICE_AREAS, Operator
from shared.envelope import utcnow

SESSION_COOKIE = "hallobot_verwaltung"
CONSOLE_PATH = "/verwaltung"
LOGIN_PATH = "/verwaltung/anmelden"
API_TOKEN_PREFIX = "hbo_"
_UNRESOLVED = object()


class LoginRequired(Exception):
    """A console page without a valid session: the browser goes to the login page (303)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _signer(settings: Any) -> Signer:
    return Signer(settings.site_secret.get_secret_value(), salt="hallobot-verwaltung-session")


def sign_session(settings: Any, secret: str) -> str:
    return _signer(settings).sign(secret).decode()


def session_secret(settings: Any, cookie: str | None) -> str | None:
    """The opaque session secret in a cookie signed under HALLOBOT_SITE_SECRET; None if forged."""
    if not cookie or len(cookie) > 200:
        return None
    try:
        return _signer(settings).unsign(cookie).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def service_area(request: Request) -> str:
    definition = getattr(request.app.state, "definition", None)
    return SERVICE_AREAS.get(getattr(definition, "name", ""), "accounts")


def _index(request: Request) -> CredentialIndex | None:
    return getattr(request.app.state, "credentials", None)


async def operator_of_bearer(request: Request, token: str | None) -> Operator | None:
    if not token:
        return None
    if auth.token_matches(token, getattr(request.app.state, "operator_token_hash", None)):
        return Operator(BOOTSTRAP, "admin")
    index = _index(request)
    if index is None or not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
        return None
    credential = await index.lookup(auth.hash_token(token))
    if credential is None or credential.kind != "token" or not credential.live(utcnow()):
        return None
    return Operator(credential.account, credential.role)  # type: ignore[arg-type]


async def operator_of_session(request: Request) -> Operator | None:
    secret = session_secret(request.app.state.settings, request.cookies.get(SESSION_COOKIE))
    index = _index(request)
    if secret is None or index is None:
        return None
    credential = await index.lookup(auth.hash_token(secret))
    if credential is None or credential.kind != "session" or not credential.live(utcnow()):
        return None
    return Operator(credential.account, credential.role)  # type: ignore[arg-type]


async def resolve_bearer(request: Request, token: str | None) -> Operator | None:
    """Once per request (FastAPI caches the dependency); sets the actor for the events it stages."""
    known = getattr(request.state, "operator", _UNRESOLVED)
    if known is not _UNRESOLVED:
        return known  # type: ignore[return-value]
    operator = await operator_of_bearer(request, token)
    request.state.operator = operator
    set_actor(operator.account_id if operator else None)
    return operator


def known_operator(request: Request, token: str | None) -> Operator | None:
    """The operator resolved for this request; without the dependency, only the bootstrap token."""
    known = getattr(request.state, "operator", _UNRESOLVED)
    if known is not _UNRESOLVED:
        return known  # type: ignore[return-value]
    if auth.token_matches(token, getattr(request.app.state, "operator_token_hash", None)):
        return Operator(BOOTSTRAP, "admin")
    return None


def local_path(candidate: str | None) -> str:
    """Where to go after the login: a path of this site only (never `//other.example` or a URL)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return CONSOLE_PATH
    if any(ord(c) < 0x20 or c == "\x7f" for c in candidate) or len(candidate) > 500:
        return CONSOLE_PATH
    return candidate


def login_url(next_path: str) -> str:
    return f"{LOGIN_PATH}?weiter={quote(local_path(next_path), safe='/')}"
