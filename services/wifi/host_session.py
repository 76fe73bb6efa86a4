"""The host's session on the website (/wlan/standort): the host token a hotspot reports with is typed
in once and exchanged for a signed cookie (shared/web/token_session.py; SameSite=Strict, only for
/wlan/standort) naming the hotspot and a fingerprint of the SHA-256 of its current token. A new token
(the office rotated it) ends every session of the old one; a session also ends after eight hours."""

from __future__ import annotations

from fastapi import Request, Response

from shared.config import Settings
from shared.web.token_session import TokenSession, matches

SESSION = TokenSession(
    cookie="hallobot_wlan_standort", path="/wlan/standort", salt="wifi-host-session", key="h", samesite="strict"
)
PATH = SESSION.path


def start(response: Response, settings: Settings, hotspot_id: str, token_hash: str) -> None:
    SESSION.start(response, settings, hotspot_id, token_hash)


def end(response: Response, settings: Settings) -> None:
    SESSION.end(response, settings)


def hotspot_of(request: Request, settings: Settings) -> tuple[str, str] | None:
    """(hotspot id, token fingerprint) of a valid, unexpired cookie; else None."""
    return SESSION.read(request, settings)


def still_valid(token_hash: str | None, fingerprint: str) -> bool:
    """The hotspot exists and its host token is still the one the session began with."""
    return matches(token_hash, fingerprint)
