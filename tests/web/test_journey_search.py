"""A citizen looks for fair coffee (docs/journeys.md, journey 2) in Chromium through the front door: searches
"Kaffee" with the Fairtrade filter, opens the business, reads its hours and finds the map link. axe-core
finds no serious or critical violation on the search, business and Fairtrade pages, in German and
English."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import expect

from tests.support.browser import serious_violations
from tests.support.system import OPERATOR


def published(site, **fields) -> dict:
    """A business the office created and published through the front door's API."""
    body = {
        "category": "gastronomie",
        "description": "Kleine Rösterei mit Café am Altmarkt, Kaffee aus eigener Röstung.",
        "phone": "02041 987654",
        "street": "Altmarkt 3",
        "postal_code": "46236",
        "latitude": 51.5226,
        "longitude": 6.9247,
        "opening_hours": "Mo-Su 00:00-24:00",
    } | fields
    api = site.url + "/api/directory"
    created = httpx.post(f"{api}/businesses", json=body, headers=OPERATOR, timeout=10)
    assert created.status_code == 201, created.text
    business = created.json()
    assert httpx.post(f"{api}/businesses/{business['id']}/publish", headers=OPERATOR, timeout=10).status_code == 200
    return business


@pytest.fixture(scope="module")
def coffee(site) -> dict:
    tag = uuid.uuid4().hex[:6]
    fair = published(site, name=f"Achtsam Rösterei {tag}", offerings=["Kaffee", "Kakao"], fairtrade_products=6)
    unfair = published(site, name=f"Achtsam Imbiss {tag}", offerings=["Kaffee", "Currywurst"], fairtrade_products=0)
    return {"fair": fair, "unfair": unfair}


async def test_a_citizen_finds_fair_coffee_opens_the_business_and_sees_its_hours_and_the_map_link(site, page, coffee):
    await page.goto(site.url + "/verzeichnis")
    await page.get_by_label("Was suchen Sie?").fill("Kaffee")
    await page.get_by_label("fair gehandelte Produkte anbieten").check()
    await page.get_by_role("button", name="Suchen").click()

    await expect(page).to_have_url(re.compile(r"/verzeichnis\?q=Kaffee.*fairtrade=on"))
    await expect(page.get_by_role("link", name=coffee["fair"]["name"])).to_be_visible()
    await expect(page.get_by_role("link", name=coffee["unfair"]["name"])).to_have_count(0)
    assert await page.get_by_label("fair gehandelte Produkte anbieten").is_checked(), "the filter stays ticked"
    assert await serious_violations(page) == []

    await page.get_by_role("link", name=coffee["fair"]["name"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(coffee["fair"]["name"])
    await expect(page.get_by_text("Jetzt geöffnet")).to_be_visible()
    hours = page.get_by_role("table")
    await expect(hours.get_by_role("rowheader").first).to_contain_text("Heute")
    await expect(hours).to_contain_text("rund um die Uhr")
    map_link = page.get_by_role("link", name="Auf der Karte ansehen (OpenStreetMap)")
    assert (await map_link.get_attribute("href")).startswith(
        "https://www.openstreetmap.org/?mlat=51.52260&mlon=6.92470"
    )
    await expect(page.get_by_role("link", name="02041 987654")).to_have_attribute("href", "tel:+492041987654")
    assert await serious_violations(page) == []


@pytest.mark.parametrize("language", ["de", "en"])
async def test_the_search_business_and_fairtrade_pages_pass_axe(site, page, coffee, language):
    for path in (
        "/verzeichnis?q=Kaffee&fairtrade=on&jetzt_offen=on",
        "/verzeichnis?q=Quastenflosserbedarf",
        f"/verzeichnis/{coffee['fair']['id']}",
        "/fairtrade",
    ):
        separator = "&" if "?" in path else "?"
        answer = await page.goto(f"{site.url}{path}{separator}lang={language}")
        assert answer is not None and answer.status == 200, path
        assert await page.get_attribute("html", "lang") == language
        assert await serious_violations(page) == [], path
