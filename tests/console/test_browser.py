"""The console in Chromium through the front door: the login, a wrong password, the lockout after
repeated failures, the logout, each role let in to its areas and refused elsewhere, and axe-core
on the login page and the console's start page in German and English."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.console.conftest import new_account
from tests.support.browser import serious_violations


async def sign_in(page, site, email: str, password: str, path: str = "/verwaltung") -> None:
    await page.goto(f"{site.url}{path}")  # a console page sends the browser to the login first
    await expect(page).to_have_url(f"{site.url}/verwaltung/anmelden?weiter={path}")
    await page.get_by_label("E-Mail-Adresse").fill(email)
    await page.get_by_label("Passwort", exact=True).fill(password)
    await page.get_by_role("button", name="Anmelden").click()


async def test_an_office_employee_signs_in_lands_where_they_wanted_and_signs_out(site, page):
    account = new_account(site, "office")
    await sign_in(page, site, account["email"], account["password"], "/verwaltung/veranstaltungen")
    await expect(page).to_have_url(f"{site.url}/verwaltung/veranstaltungen")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Veranstaltungen verwalten")
    await page.goto(f"{site.url}/verwaltung")
    await expect(page.get_by_text("Ihre Rolle: Büro.")).to_be_visible()
    await page.get_by_role("button", name="Abmelden").click()
    await expect(page).to_have_url(f"{site.url}/verwaltung/anmelden?hinweis=abgemeldet")
    await expect(page.get_by_role("status")).to_have_text("Sie sind abgemeldet.")
    await page.goto(f"{site.url}/verwaltung")
    await expect(page).to_have_url(f"{site.url}/verwaltung/anmelden?weiter=/verwaltung")


async def test_a_wrong_password_says_so_next_to_the_field_and_keeps_the_address(site, page):
    account = new_account(site, "events")
    await sign_in(page, site, account["email"], "ganz-falsches-Passwort")
    await expect(page.get_by_role("alert")).to_contain_text("E-Mail-Adresse oder Passwort stimmen nicht.")
    await expect(page.get_by_label("E-Mail-Adresse")).to_have_value(account["email"])
    await expect(page.get_by_label("Passwort", exact=True)).to_have_value("")


async def test_repeated_failures_lock_the_account_even_against_the_right_password(site, page):
    account = new_account(site, "wifi")
    await sign_in(page, site, account["email"], "falsch-1-falsch-1")
    for attempt in range(2, 7):
        await page.wait_for_timeout(600)  # longer than the tests' longest delay between attempts
        await page.get_by_label("Passwort", exact=True).fill(f"falsch-{attempt}-falsch")
        await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("alert")).to_contain_text("Das Konto ist vorübergehend gesperrt")
    await page.get_by_label("Passwort", exact=True).fill(account["password"])  # now the right one
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("alert")).to_contain_text("Das Konto ist vorübergehend gesperrt")
    await page.goto(f"{site.url}/verwaltung")
    await expect(page).to_have_url(f"{site.url}/verwaltung/anmelden?weiter=/verwaltung")


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("admin", ["/verwaltung/konten", "/verwaltung/verzeichnis", "/verwaltung/wlan"], []),
        (
            "office",
            ["/verwaltung/verzeichnis", "/verwaltung/veranstaltungen", "/verwaltung/wlan"],
            ["/verwaltung/konten"],
        ),
        (
            "events",
            ["/verwaltung/veranstaltungen"],
            ["/verwaltung/verzeichnis", "/verwaltung/wlan", "/verwaltung/konten"],
        ),
        (
            "wifi",
            ["/verwaltung/wlan"],
            ["/verwaltung/verzeichnis", "/verwaltung/veranstaltungen", "/verwaltung/konten"],
        ),
    ],
)
async def test_each_role_is_let_in_to_its_areas_and_refused_elsewhere(site, page, role, allowed, refused):
    account = new_account(site, role)
    await sign_in(page, site, account["email"], account["password"])
    await expect(page).to_have_url(f"{site.url}/verwaltung")
    links = {await link.get_attribute("href") for link in await page.locator("main li a").all()}
    assert set(allowed) <= links and not set(refused) & links
    for path in allowed:
        answer = await page.goto(f"{site.url}{path}")
        assert answer.status == 200, path
    for path in refused:
        answer = await page.goto(f"{site.url}{path}")
        assert answer.status == 403, path
        await expect(page.get_by_role("heading", level=1)).to_have_text("Dieser Bereich gehört nicht zu Ihrer Rolle")


async def test_an_admin_creates_an_account_that_can_sign_in_at_once(site, page, browser):
    admin = new_account(site, "admin")
    await sign_in(page, site, admin["email"], admin["password"], "/verwaltung/konten")
    await page.get_by_label("Name", exact=True).fill("Herr Neu")
    await page.get_by_label("E-Mail-Adresse").fill(f"neu-{admin['id'][:8]}@bottrop.example")
    await page.get_by_label("Rolle", exact=True).select_option("wifi")
    await page.get_by_label("Erstes Passwort").fill("ein-gutes-erstes-Passwort")
    await page.get_by_role("button", name="Konto anlegen").click()
    await expect(page.get_by_role("status")).to_have_text("Das Konto ist angelegt.")
    context = await browser.new_context(locale="de-DE")
    newcomer = await context.new_page()
    await sign_in(newcomer, site, f"neu-{admin['id'][:8]}@bottrop.example", "ein-gutes-erstes-Passwort")
    await expect(newcomer.get_by_text("Ihre Rolle: WLAN.")).to_be_visible()
    await context.close()


@pytest.mark.parametrize("language", ["de", "en"])
async def test_the_login_page_and_the_console_start_page_pass_axe(site, page, language):
    await page.goto(f"{site.url}/verwaltung/anmelden?lang={language}")
    assert await serious_violations(page) == []
    account = new_account(site, "admin")
    email, password = ("E-Mail-Adresse", "Passwort") if language == "de" else ("Email address", "Password")
    await page.get_by_label(email).fill(account["email"])
    await page.get_by_label(password, exact=True).fill(account["password"])
    await page.get_by_role("button", name="Anmelden" if language == "de" else "Sign in").click()
    await expect(page).to_have_url(f"{site.url}/verwaltung")
    assert await page.locator("html").get_attribute("lang") == language
    assert await serious_violations(page) == []
    await page.goto(f"{site.url}/verwaltung/konten")
    assert await serious_violations(page) == []
