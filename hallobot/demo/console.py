"""The demo's console account: `hallobot up --demo` makes one admin account of the office, so that a
newcomer can log in at /verwaltung at once. Its password is random and printed once, when the account
is made; a later start finds it (409) and prints only the address (a lost password: "Passwort
vergessen?" mails a link to the local mail sink)."""

from __future__ import annotations

import secrets

import httpx

DEMO_ADMIN_EMAIL = "verwaltung@bottrop.example"
DEMO_ADMIN_NAME = "Demo: Amt für Wirtschaftsförderung"


def create_demo_admin(notifications_url: str, token: str) -> tuple[str, str | None]:
    """The demo admin's address and, when it was made now, its password (else None)."""
    password = secrets.token_urlsafe(12)
    body = {"name": DEMO_ADMIN_NAME, "email": DEMO_ADMIN_EMAIL, "role": "admin", "password": password}
    answer = httpx.post(
        f"{notifications_url}/accounts", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    if answer.status_code == 409:
        return DEMO_ADMIN_EMAIL, None
    answer.raise_for_status()
    return DEMO_ADMIN_EMAIL, password
