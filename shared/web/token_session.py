"""A page session that a secret token started (the owner's edit link, a hotspot host's token): a signed
cookie (itsdangerous under HALLOBOT_SITE_SECRET; HttpOnly, Secure in production, for one path only)
that names what the token opens and a fingerprint of the token's SHA-256, never the token. A new token
ends every session of the old one (`matches`); a session also ends after `max_age_s`.

One shape for both (services/directory/owner_session.py, services/wifi/host_session.py); the console's
operator session is another thing (shared/console/: accounts, roles, revocation through the index)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.config import Settings

FINGERPRINT_LENGTH = 16  # hex characters of the token's SHA-256
MAX_COOKIE_LENGTH = 500  # a longer value is not ours: refused before its signature is checked


@dataclass(frozen=True)
class TokenSession:
    cookie: str
    path: str
    salt: str  # one per kind of session: a cookie of one kind never opens another
    key: str  # the field of the signed value that names what the token opens
    samesite: Literal["lax", "strict"]
    max_age_s: int = 8 * 60 * 60

    def _serializer(self, settings: Settings) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(settings.site_secret.get_secret_value(), salt=self.salt)

    def start(self, response: Response, settings: Settings, opened_id: str, token_hash: str) -> None:
        value = self._serializer(settings).dumps({self.key: opened_id, "t": token_hash[:FINGERPRINT_LENGTH]})
        response.set_cookie(
            self.cookie,
            value,
            max_age=self.max_age_s,
            path=self.path,
            httponly=True,
            samesite=self.samesite,
            secure=settings.environment == "production",
        )

    def end(self, response: Response, settings: Settings) -> None:
        response.delete_cookie(
            self.cookie,
            path=self.path,
            httponly=True,
            samesite=self.samesite,
            secure=settings.environment == "production",
        )

    def read(self, request: Request, settings: Settings) -> tuple[str, str] | None:
        """(what the token opens, the token's fingerprint) of a valid, unexpired cookie; else None."""
        value = request.cookies.get(self.cookie)
        if not value or len(value) > MAX_COOKIE_LENGTH:
            return None
        try:
            data = self._serializer(settings).loads(value, max_age=self.max_age_s)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get(self.key), str) or not isinstance(data.get("t"), str):
            return None
        return data[self.key], data["t"]


def matches(token_hash: str | None, fingerprint: str) -> bool:
    """The token the session began with is still the current one (`token_hash`: its SHA-256, or None)."""
    return token_hash is not None and len(fingerprint) == FINGERPRINT_LENGTH and token_hash.startswith(fingerprint)
