"""The host's session on the website (/wlan/standort): the host token a hotspot reports with is typed
in once and exchanged for a signed cookie (itsdangerous under HALLOBOT_SITE_SECRET; HttpOnly,
SameSite=Strict, Secure in production, only for /wlan/standort) naming the hotspot and a fingerprint of
the SHA-256 of its current token, never the token. A new token (the office rotated it) ends every
session of the old one; a session also ends after SESSION_MAX_AGE_S. As the directory's owner session
(services/directory/owner_session.py)."""

from __future__ import annotations

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.config import Settings

COOKIE = "hallobot_wlan_standort"
PATH = "/wlan/standort"
SESSION_MAX_AGE_S = 8 * 60 * 60
FINGERPRINT_LENGTH = 16  # of the token's SHA-256 (hex)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.site_secret.get_secret_value(), salt="wifi-host-session")


def _secure(settings: Settings) -> bool:
    return settings.environment == "production"


def start(response: Response, settings: Settings, hotspot_id: str, token_hash: str) -> None:
    value = _serializer(settings).dumps({"h": hotspot_id, "t": token_hash[:FINGERPRINT_LENGTH]})
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_MAX_AGE_S,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(settings),
    )


def end(response: Response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict", secure=_secure(settings))


def hotspot_of(request: Request, settings: Settings) -> tuple[str, str] | None:
    """(hotspot id, token fingerprint) of a valid, unexpired cookie; else None."""
    value = request.cookies.get(COOKIE)
    if not value or len(value) > 500:
        return None
    try:
        data = _serializer(settings).loads(value, max_age=SESSION_MAX_AGE_S)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("h"), str) or not isinstance(data.get("t"), str):
        return None
    return data["h"], data["t"]


def still_valid(token_hash: str | None, fingerprint: str) -> bool:
    """The hotspot exists and its host token is still the one the session began with."""
    return token_hash is not None and len(fingerprint) == FINGERPRINT_LENGTH and token_hash.startswith(fingerprint)
