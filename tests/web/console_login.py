"""The office's way into the console in a browser journey: a real account (made through notifications'
accounts API with the bootstrap token) and the real login page, reached as a console page sends the
browser there; after the login the browser is back on the page it asked for."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.conftest import new_account


async def log_in_on_the_way(page: Page, site, role: str, path: str) -> dict:
    """Open the console page `path`, log in with a new account of `role` on the way; the account."""
    account = new_account(site, role)
    await page.goto(site.url + path)
    await expect(page).to_have_url(f"{site.url}/verwaltung/anmelden?weiter={path}")
    await page.get_by_label("E-Mail-Adresse").fill(account["email"])
    await page.get_by_label("Passwort", exact=True).fill(account["password"])
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page).to_have_url(site.url + path)
    return account
