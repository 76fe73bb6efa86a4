"""The owner's session on the website: after the edit link's token was exchanged once, a signed cookie
(itsdangerous under HALLOBOT_SITE_SECRET; HttpOnly, SameSite=Lax, Secure in production, only for
/verzeichnis/eintrag) names the profile and a fingerprint of its current edit token. A new token
(a new link was sent) ends every session of the old one; a session also ends after SESSION_MAX_AGE_S."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.config import Settings

COOKIE = "hallobot_eintrag"
PATH = "/verzeichnis/eintrag"
SESSION_MAX_AGE_S = 8 * 60 * 60
FINGERPRINT_LENGTH = 16  # of the token's SHA-256 (hex); the cookie never holds the token itself


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.site_secret.get_secret_value(), salt="directory-owner-session")


def start(response: Response, settings: Settings, profile: dict[str, Any]) -> None:
    value = _serializer(settings).dumps({"b": profile["id"], "t": profile["edit_token_hash"][:FINGERPRINT_LENGTH]})
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_MAX_AGE_S,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
    )


def end(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE, path=PATH, httponly=True, samesite="lax", secure=settings.environment == "production"
    )


def business_of(request: Request, settings: Settings) -> tuple[str, str] | None:
    """(profile id, token fingerprint) of a valid, unexpired cookie; else None."""
    value = request.cookies.get(COOKIE)
    if not value or len(value) > 500:
        return None
    try:
        data = _serializer(settings).loads(value, max_age=SESSION_MAX_AGE_S)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("b"), str) or not isinstance(data.get("t"), str):
        return None
    return data["b"], data["t"]


def still_valid(profile: dict[str, Any] | None, fingerprint: str) -> bool:
    """The profile exists, is not archived, and its edit token is still the one the session began with."""
    return (
        profile is not None
        and profile["status"] != "archived"
        and len(fingerprint) == FINGERPRINT_LENGTH
        and profile["edit_token_hash"].startswith(fingerprint)
    )
