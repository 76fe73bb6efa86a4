"""Journey 4 through the front door, in Chromium: a resident subscribes to outages at one WLAN site,
confirms once, gets the next outage mail naming the site, and unsubscribes with one click; axe-core
finds no serious or critical violation on the start page, the live page, the subscribe form and the
confirm and unsubscribe pages, in German and English."""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import UTC, datetime

import httpx
from playwright.async_api import expect

from tests.support.browser import serious_violations
from tests.support.system import OPERATOR

LINKS = {"confirm": "abonnieren/bestaetigen", "unsubscribe": "abonnieren/abmelden"}


def mail_link(message, purpose: str) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            return re.search(rf"(http://\S+/{LINKS[purpose]}\?\S+)", text).group(1)
    raise AssertionError("no text part")


async def eventually(predicate, timeout: float = 30.0):
    for _ in range(int(timeout / 0.25)):
        if value := predicate():
            return value
        await asyncio.sleep(0.25)
    return predicate()


def a_hotspot(site) -> tuple[str, str, str]:
    """A new WLAN site through the wifi API (operator), working: (id, site name, host token)."""
    name = f"Gleiwitzer Platz {secrets.token_hex(2)}"
    mac = ":".join(f"{byte:02x}" for byte in secrets.token_bytes(6))
    body = {
        "site_name": name,
        "host_business": "Café am Platz",
        "address": "Gleiwitzer Platz 1, 46236 Bottrop",
        "latitude": 51.52,
        "longitude": 6.93,
        "ap_model": "AP-1",
        "ap_serial": secrets.token_hex(4),
        "ap_mac": mac,
        "placement": "outdoor",
    }
    created = httpx.post(f"{site.system.url('wifi')}/hotspots", json=body, headers=OPERATOR, timeout=15)
    created.raise_for_status()
    hotspot = created.json()
    report(site, hotspot["id"], hotspot["host_token"], uplink_ok=True)
    return hotspot["id"], name, hotspot["host_token"]


def report(site, hotspot_id: str, host_token: str, *, uplink_ok: bool) -> None:
    body = {"timestamp": datetime.now(UTC).isoformat(), "uplink_ok": uplink_ok, "clients": 3}
    answer = httpx.post(
        f"{site.system.url('wifi')}/hotspots/{hotspot_id}/reports",
        json=body,
        headers={"Authorization": f"Bearer {host_token}"},
        timeout=15,
    )
    answer.raise_for_status()


async def no_violations(page, url: str) -> None:
    await page.goto(url)
    assert await serious_violations(page) == [], url


async def test_a_resident_subscribes_to_outages_at_one_site_confirms_hears_of_the_outage_and_unsubscribes(site, page):
    hotspot_id, name, host_token = a_hotspot(site)
    label = f"Störungen am WLAN-Hotspot {name}"
    assert await eventually(lambda: label in httpx.get(f"{site.url}/abonnieren", timeout=10).text)
    address = f"resident-{secrets.token_hex(3)}@example.org"

    await page.goto(site.url + "/")
    await page.get_by_role("link", name="Nachrichten abonnieren").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nachrichten abonnieren")
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Abonnieren").click()  # nothing filled in: errors, nothing lost
    await expect(page.get_by_role("alert")).to_contain_text("Bitte prüfen Sie Ihre Angaben")
    await page.get_by_label(label).check()
    await page.get_by_label("Ihre E-Mail-Adresse").fill(address)
    await page.get_by_label(re.compile("Ich bin einverstanden")).check()
    await page.get_by_role("button", name="Abonnieren").click()
    await expect(
        page.get_by_text("Bitte bestätigen Sie Ihre Adresse: wir haben Ihnen eine Mail geschickt.")
    ).to_be_visible()

    confirmation = (await eventually(lambda: site.smtp.to(address)))[0]
    confirm_url = mail_link(confirmation, "confirm")
    assert confirm_url.startswith(site.url + "/abonnieren/bestaetigen?")  # through the front door
    assert name in str(confirmation.get_body(("plain",)).get_content()) and hotspot_id not in confirm_url.split("?")[0]
    await no_violations(page, confirm_url.replace("lang=de", "lang=en"))
    await no_violations(page, confirm_url)
    await expect(page.get_by_text(label)).to_be_visible()
    await page.get_by_role("button", name="Abonnement bestätigen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Danke! Ihr Abonnement ist bestätigt.")

    # The site's uplink fails: after WIFI_CONFIRM_REPORTS (3) reports in a row it is degraded. (Down
    # takes the heartbeat timeout, 180 s of silence: too long for a journey.)
    for _ in range(3):
        report(site, hotspot_id, host_token, uplink_ok=False)
    mails = await eventually(lambda: [m for m in site.smtp.to(address) if "eingeschränkt" in m["Subject"]])
    (outage,) = mails
    assert outage["Subject"] == f"WLAN-Hotspot {name} ist jetzt eingeschränkt (vorher in Betrieb)."
    assert hotspot_id not in outage.as_string()
    unsubscribe_url = mail_link(outage, "unsubscribe")
    assert outage["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert outage["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    await no_violations(page, unsubscribe_url.replace("lang=de", "lang=en"))
    await no_violations(page, unsubscribe_url)
    await page.get_by_role("button", name="Keine Nachrichten mehr schicken").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind abgemeldet")

    before = [m["Subject"] for m in site.smtp.to(address)]
    for _ in range(3):  # back up: no more mail for them
        report(site, hotspot_id, host_token, uplink_ok=True)
    await asyncio.sleep(3)
    after = [m["Subject"] for m in site.smtp.to(address)]
    assert after == before, after


async def test_the_start_live_and_subscribe_pages_pass_axe_in_german_and_english(site, page):
    for path in ("/", "/live", "/abonnieren", "/impressum", "/datenschutz"):
        for language in ("de", "en"):
            await no_violations(page, f"{site.url}{path}?lang={language}")
    await page.goto(site.url + "/live")
    await expect(page.locator("#verbindung")).to_have_attribute("data-state", "live")
    assert await serious_violations(page) == []  # also once the script filled in the events
