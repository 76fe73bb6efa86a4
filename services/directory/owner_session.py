"""The owner's session on the website: after the edit link's token was exchanged once, a signed cookie
(shared/web/token_session.py; SameSite=Lax, only for /verzeichnis/eintrag) names the profile and a
fingerprint of its current edit token. A new token (a new link was sent) ends every session of the old
one; a session also ends after eight hours."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from shared.config import Settings
from shared.web.token_session import TokenSession, matches

# Lax: the owner arrives from the link in a mail (a top-level navigation from another site).
SESSION = TokenSession(
    cookie="hallobot_eintrag", path="/verzeichnis/eintrag", salt="directory-owner-session", key="b", samesite="lax"
)
PATH = SESSION.path


def start(response: Response, settings: Settings, profile: dict[str, Any]) -> None:
    SESSION.start(response, settings, profile["id"], profile["edit_token_hash"])


def end(response: Response, settings: Settings) -> None:
    SESSION.end(response, settings)


def business_of(request: Request, settings: Settings) -> tuple[str, str] | None:
    """(profile id, token fingerprint) of a valid, unexpired cookie; else None."""
    return SESSION.read(request, settings)


def still_valid(profile: dict[str, Any] | None, fingerprint: str) -> bool:
    """The profile exists, is not archived, and its edit token is still the one the session began with."""
    return profile is not None and profile["status"] != "archived" and matches(profile["edit_token_hash"], fingerprint)
