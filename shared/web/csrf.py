"""CSRF protection for every form (signed double submit, as OWASP describes it).

A page with a form sets the cookie `hallobot_csrf` (random, HttpOnly, SameSite=Lax, Secure in
production) once, and writes into the form's hidden field `csrf_token` the HMAC of that value under
HALLOBOT_SITE_SECRET. A POST is taken only when the field matches the cookie's HMAC: another site can
make a browser send the cookie, but cannot read it or compute the field; a cookie planted from a
neighbouring domain does not help either, as the field needs the secret. All services behind the
front door share the secret, so a form of one service may post to another."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from shared.config import Settings

COOKIE = "hallobot_csrf"
FIELD = "csrf_token"
COOKIE_MAX_AGE_S = 60 * 60 * 24 * 30


def _signature(settings: Settings, value: str) -> str:
    key = settings.site_secret.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + value.encode(), hashlib.sha256).hexdigest()


def cookie_value(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie, or a new one; and whether it is new (then the answer sets it)."""
    value = request.cookies.get(COOKIE, "")
    if 20 <= len(value) <= 100 and value.isascii():
        return value, False
    return secrets.token_urlsafe(32), True


def form_token(settings: Settings, cookie: str) -> str:
    return _signature(settings, cookie)


def is_valid(settings: Settings, request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(_signature(settings, cookie), submitted)
