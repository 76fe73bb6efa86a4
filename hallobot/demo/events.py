"""Demo event series of `hallobot up --demo`, created through the events API (idempotent by series)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = "Wirtschaftsförderung Bottrop, Ernst-Wilczok-Platz 1, 46236 Bottrop"


def _first_weekday_of_next_month(today: date, weekday: int) -> date:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), BERLIN).isoformat()


def demo_series(today: date) -> list[dict[str, Any]]:
    breakfast = _first_weekday_of_next_month(today, 2)  # first Wednesday
    workshop = _first_weekday_of_next_month(today, 1) + timedelta(days=7)  # second Tuesday
    return [
        {
            "title": "Handwerker-Frühstück",
            "series": "handwerker-fruehstueck",
            "description": "Austausch beim Frühstück für Bottroper Handwerksbetriebe / breakfast for local crafts",
            "starts_at": _at(breakfast, 8),
            "ends_at": _at(breakfast, 9, 30),
            "venue": "Kulturkirche Bottrop",
            "capacity": 40,
            "waitlist": True,
            "frequency": "monthly",
            "count": 6,
            "publish": True,
        },
        {
            "title": "Workshop: Digitalisierung im Betrieb",
            "series": "digitalisierung",
            "description": "Praxis-Workshop der Wirtschaftsförderung / hands-on workshop on going digital",
            "starts_at": _at(workshop, 18),
            "ends_at": _at(workshop, 20),
            "venue": OFFICE,
            "capacity": 20,
            "waitlist": True,
            "frequency": "monthly",
            "count": 4,
            "publish": True,
        },
    ]


def load_demo_events(url: str, token: str, *, today: date | None = None) -> list[str]:
    """Create the demo series and one virtual consultation day; returns the ids of new events."""
    today = today or date.today()
    created: list[str] = []
    with httpx.Client(base_url=url, timeout=20, headers={"Authorization": f"Bearer {token}"}) as client:
        existing = {event["series"] for event in client.get("/events", params={"limit": 500}).raise_for_status().json()}
        for series in demo_series(today):
            if series["series"] not in existing:
                created += [e["id"] for e in client.post("/events/series", json=series).raise_for_status().json()]
        if "beratungstag" not in existing:
            day = _first_weekday_of_next_month(today, 3)  # first Thursday
            consultation = (
                client.post(
                    "/events",
                    json={
                        "title": "Virtueller Digitalisierungs-Beratungstag",
                        "series": "beratungstag",
                        "kind": "consultation",
                        "description": "Einzelgespräche mit der Handwerkskammer / one-to-one advice",
                        "starts_at": _at(day, 9),
                        "ends_at": _at(day, 15),
                        "online_url": "https://hallo-bot.de/beratung",
                    },
                )
                .raise_for_status()
                .json()
            )
            client.post(
                f"/events/{consultation['id']}/slots",
                json={
                    "starts_at": _at(day, 9),
                    "minutes": 30,
                    "count": 12,
                    "expert": "Digitalisierungsberatung der Handwerkskammer",
                    "topic": "Digitalisierung im Handwerk",
                },
            ).raise_for_status()
            client.post(f"/events/{consultation['id']}/publish").raise_for_status()
            created.append(consultation["id"])
    return created
