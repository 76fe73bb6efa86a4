"""A few Bottrop businesses and the Fairtrade-Town campaign, created by `hallobot up --demo` through the
directory's HTTP API. Names are marked "Demo:", details are invented, coordinates approximate.
Running it again creates nothing twice (businesses by name, actions, articles and meetings by title and
date, the title's dates by date). The title's dates are Bottrop's own: Fairtrade-Town since 26 November
2021, renewed every two years (2023, 2025); the records span this year and the last, so that the renewal
dossier (/verwaltung/fairtrade/dossier) holds two years."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

BUSINESSES = (
    {
        "name": "Demo: Weltladen Bottrop",
        "category": "einzelhandel",
        "fairtrade_products": 250,
        "description": (
            "Fair gehandelte Lebensmittel, Kunsthandwerk und Geschenke; Treffpunkt der Fairtrade-Steuerungsgruppe."
        ),
        "offerings": ["Kaffee", "Schokolade", "Tee", "Kunsthandwerk"],
        "street": "Hochstraße 20",
        "latitude": 51.5233,
        "longitude": 6.9283,
        "opening_hours": "Mo-Fr 10:00-18:00; Sa 10:00-14:00; PH off",
        "accepts_gutschein": True,
    },
    {
        "name": "Demo: Bäckerei Kornfeld",
        "category": "einzelhandel",
        "fairtrade_products": 3,
        "description": "Handwerksbäckerei mit Sauerteigbrot; fairer Kaffee, Kakao und Rohrzucker.",
        "offerings": ["Brot", "Brötchen", "Kuchen", "Kaffee to go"],
        "street": "Gladbecker Straße 12",
        "latitude": 51.5216,
        "longitude": 6.9302,
        "opening_hours": "Mo-Fr 06:30-18:00; Sa 06:30-13:00; Su 08:00-11:00",
        "pickup": True,
        "accepts_gutschein": True,
    },
    {
        "name": "Demo: Buchhandlung an der Gladbecker Straße",
        "category": "einzelhandel",
        "fairtrade_products": 0,
        "description": "Bücher für alle Altersgruppen, Bestellung bis 18 Uhr, Abholung am nächsten Morgen.",
        "offerings": ["Bücher", "Hörbücher", "Kalender"],
        "street": "Gladbecker Straße 10",
        "latitude": 51.5215,
        "longitude": 6.9305,
        "opening_hours": "Mo-Fr 09:30-18:30; Sa 09:30-16:00; PH off",
        "online_shop": True,
        "pickup": True,
        "accepts_gutschein": True,
        "sells_gutschein": True,
        "website": "https://example.org/buchhandlung",
    },
    {
        "name": "Demo: Café am Kirchplatz",
        "category": "gastronomie",
        "fairtrade_products": 4,
        "description": "Frühstück, Mittagstisch und Kuchen; Kaffee, Tee und Schokolade aus fairem Handel.",
        "offerings": ["Frühstück", "Mittagstisch", "Kuchen"],
        "street": "Kirchplatz 2",
        "latitude": 51.5237,
        "longitude": 6.9287,
        "opening_hours": "Tu-Su 09:00-18:00",
        "delivery": False,
    },
    {
        "name": "Demo: Eiscafé Pferdemarkt",
        "category": "gastronomie",
        "fairtrade_products": 2,
        "description": "Eis aus eigener Herstellung, Kaffeespezialitäten mit fair gehandelten Bohnen.",
        "offerings": ["Eis", "Kaffee"],
        "street": "Pferdemarkt 3",
        "latitude": 51.5226,
        "longitude": 6.9245,
        "opening_hours": "Mar-Oct: Mo-Su 10:00-21:00",
    },
    {
        "name": "Demo: Zweirad Werkstatt Eigen",
        "category": "handwerk",
        "description": "Reparatur und Wartung von Fahrrädern und E-Bikes, Hol- und Bringservice im Stadtgebiet.",
        "offerings": ["Fahrradreparatur", "E-Bike-Service"],
        "street": "Eigener Markt 4",
        "latitude": 51.5372,
        "longitude": 6.9436,
        "opening_hours": "Mo-Fr 09:00-13:00,14:00-18:00; Sa 09:00-13:00",
        "delivery": True,
    },
    {
        "name": "Demo: Wochenmarkt – Obst und Gemüse Hof Kirchhellen",
        "category": "wochenmarkt",
        "description": "Obst und Gemüse aus Kirchhellen, dienstags und freitags auf dem Wochenmarkt in der Innenstadt.",
        "offerings": ["Obst", "Gemüse", "Eier"],
        "street": "Berliner Platz",
        "latitude": 51.5243,
        "longitude": 6.9254,
        "opening_hours": "Tu,Fr 07:00-13:00; PH off",
    },
)
# Waiting for the office's review: shows what a fresh self-registration looks like.
PENDING = {
    "name": "Demo: Blumen Lindenhof",
    "category": "einzelhandel",
    "description": "Schnittblumen und Pflanzen.",
    "street": "Osterfelder Straße 30",
}

# Bottrop's title: awarded on 26 November 2021, renewed every two years since.
TITLE_AWARDED = date(2021, 11, 26)
TITLE_RENEWALS = (date(2023, 11, 26), date(2025, 11, 26))
CAMPAIGN = {
    "council_resolution_on": "2021-03-23",  # a demo date before the award
    "council_resolution_text": "Der Rat der Stadt Bottrop beschließt, sich um den Titel Fairtrade-Town zu bewerben "
    "(Demo-Text).",
    "steering_group": [
        "Wirtschaftsförderung der Stadt (Demo)",
        "Weltladen Bottrop (Demo)",
        "Ev. Kirchengemeinde (Demo)",
        "Werbegemeinschaft Innenstadt (Demo)",
    ],
}


def _on(today: date, month: int, day: int) -> str:
    """A date of this year, but never in the future."""
    return str(min(date(today.year, month, day), today))


def _last_year(today: date, month: int, day: int) -> str:
    return str(date(today.year - 1, month, day))


def _actions(today: date) -> list[dict[str, Any]]:
    return [
        {
            "kind": "kita",
            "organisation": "Demo: Kita Regenbogen",
            "action": "Faire Schokolade zum Nikolaus",
            "held_on": _last_year(today, 12, 5),
        },
        {
            "kind": "school",
            "organisation": "Demo: Gymnasium Bottrop",
            "action": "Fairer Pausenverkauf zur Fairen Woche",
            "held_on": _last_year(today, 9, 19),
        },
        {
            "kind": "school",
            "organisation": "Demo: Gymnasium Bottrop",
            "action": "Faires Pausenfrühstück",
            "held_on": _on(today, 3, 14),
        },
        {
            "kind": "association",
            "organisation": "Demo: Sportverein Bottrop",
            "action": "Faire Bälle für die Jugend",
            "held_on": _on(today, 5, 9),
        },
        {
            "kind": "faith_community",
            "organisation": "Demo: Kirchengemeinde St. Cyriakus",
            "action": "Fairer Kaffee nach dem Gottesdienst",
            "held_on": _on(today, 1, 20),
        },
    ]


def _press(today: date) -> list[dict[str, Any]]:
    return [
        {
            "title": "Bottrop bleibt Fairtrade-Town (Demo)",
            "outlet": "Lokalzeitung (Demo)",
            "published_on": _last_year(today, 11, 28),
        },
        {
            "title": "Bottrop auf dem Weg zur Fairtrade-Town (Demo)",
            "outlet": "Lokalzeitung (Demo)",
            "published_on": _on(today, 1, 10),
        },
        {
            "title": "Fairer Frühstückstag am Gymnasium (Demo)",
            "outlet": "Stadtmagazin (Demo)",
            "published_on": _on(today, 3, 15),
        },
    ]


def _meetings(today: date) -> list[dict[str, Any]]:
    return [
        {"held_on": _last_year(today, 2, 7), "topic": "Jahresplanung, Faire Woche (Demo)", "attendees": 6},
        {"held_on": _last_year(today, 10, 9), "topic": "Bericht zur Erneuerung des Titels (Demo)", "attendees": 5},
        {"held_on": _on(today, 2, 12), "topic": "Aktionen an Kitas und Schulen (Demo)", "attendees": 7},
    ]


# A few demo businesses in each of the office's networks (members are the published ones).
NETWORK_MEMBERS = {
    "wirtschaftsallianz": (
        "Demo: Buchhandlung an der Gladbecker Straße",
        "Demo: Café am Kirchplatz",
        "Demo: Weltladen Bottrop",
    ),
    "fachkraeftesicherung": ("Demo: Bäckerei Kornfeld", "Demo: Zweirad Werkstatt Eigen", "Demo: Eiscafé Pferdemarkt"),
}


def _all_ids(client: httpx.Client) -> dict[str, str]:
    """Every profile's id by name."""
    ids: dict[str, str] = {}
    page = 1
    while True:
        answer = client.get("/businesses", params={"status": "all", "per_page": 100, "page": page})
        body = answer.raise_for_status().json()
        ids |= {item["name"]: item["id"] for item in body["items"]}
        if page * body["per_page"] >= body["total"]:
            return ids
        page += 1


def load_demo_directory(url: str, token: str, *, today: date | None = None) -> dict[str, Any]:
    """Create the demo businesses (published, one pending) and the campaign state; returns what was new."""
    today = today or date.today()
    created: list[str] = []
    with httpx.Client(base_url=url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
        existing = _all_ids(client)
        for body in (*BUSINESSES, PENDING):
            if body["name"] in existing:
                continue
            business = client.post("/businesses", json={"postal_code": "46236", **body}).raise_for_status().json()
            if body is not PENDING:
                client.post(f"/businesses/{business['id']}/publish").raise_for_status()
            created.append(str(body["name"]))
            existing[str(body["name"])] = business["id"]
        for network, names in NETWORK_MEMBERS.items():  # adding a member twice changes nothing
            for name in names:
                client.put(f"/networks/{network}/members/{existing[name]}").raise_for_status()
        client.patch("/fairtrade", json=CAMPAIGN).raise_for_status()
        since = {"start": str(date(today.year - 1, 1, 1)), "end": str(today)}
        campaign = client.get("/fairtrade/records", params=since).raise_for_status().json()
        known_actions = {(a["organisation"], a["held_on"]) for a in campaign["actions"]}
        for action in _actions(today):
            if (action["organisation"], action["held_on"]) not in known_actions:
                client.post("/fairtrade/actions", json=action).raise_for_status()
        known_press = {p["title"] for p in campaign["press"]}
        for article in _press(today):
            if article["title"] not in known_press:
                client.post("/fairtrade/press", json=article).raise_for_status()
        known_meetings = {(m["held_on"], m["topic"]) for m in campaign["meetings"]}
        for meeting in _meetings(today):
            if (meeting["held_on"], meeting["topic"]) not in known_meetings:
                client.post("/fairtrade/meetings", json=meeting).raise_for_status()
        client.post("/fairtrade/title", json={"kind": "awarded", "on": str(TITLE_AWARDED)}).raise_for_status()
        for renewed in TITLE_RENEWALS:
            if renewed <= today:
                client.post("/fairtrade/title", json={"kind": "renewed", "on": str(renewed)}).raise_for_status()
        return {
            "businesses": created,
            "campaign": client.get("/fairtrade").raise_for_status().json(),
            "networks": client.get("/networks").raise_for_status().json(),
        }
