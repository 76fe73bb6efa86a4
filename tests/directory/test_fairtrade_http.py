"""The Fairtrade-Town campaign through HTTP with events read back from a real nats-server.

This module runs its own service with a tiny targets table (2 shops, 1 gastronomy) so a handful of
profiles cross the targets; the criteria are counted from the published profiles of this service only.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.directory.conftest import OPERATOR, events_of, owner, published, start_directory, stream_bodies
from tests.support.nats import NatsServer
from tests.support.postgres import create_database, drop_database


def today_in_bottrop() -> date:
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def campaign_service(request, tmp_path_factory):
    """Own nats-server and database per lane: the FAIRTRADE stream then holds this lane's events only."""
    tmp_dir = tmp_path_factory.mktemp(f"fairtrade-{request.param}")
    nats_server = NatsServer(tmp_dir / "nats").start()
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_dir / 'directory.sqlite3'}"
    else:
        server_url = request.getfixturevalue("postgres_url")
        url = create_database(server_url)
    service = start_directory(
        nats_server.url, url, tmp_dir, DIRECTORY_FAIRTRADE_TARGETS="[[1000, 2, 1]]", DIRECTORY_JOB_INTERVAL_S="0.2"
    )
    try:
        yield service
    finally:
        service.process.kill()
        nats_server.kill()
        if request.param == "postgresql":
            drop_database(server_url, url)


def criterion(client, name: str) -> dict:
    return next(c for c in client.get("/fairtrade").json()["criteria"] if c["criterion"] == name)


async def flips(nats_url: str, name: str, met: int, lost: int) -> tuple[int, int]:
    events = await events_of(nats_url, "FAIRTRADE", f"hallobot.fairtrade.criterion.*.{name}", met + lost)
    return (sum(e["type"].endswith(".met") for e in events), sum(e["type"].endswith(".lost") for e in events))


async def test_a_profile_published_with_three_fairtrade_products_that_reaches_the_retail_target_emits_one_met(
    campaign_service,
):
    url = campaign_service.nats_url
    with campaign_service.client() as client:
        published(client, name="Café Fair", category="gastronomie", fairtrade_products=2)
        published(client, name="Weltladen", category="einzelhandel", fairtrade_products=2)
        published(client, name="Kiosk mit einem Fairtrade-Kaffee", category="einzelhandel", fairtrade_products=1)
        status = criterion(client, "retail_gastronomy")
        assert (status["met"], status["detail"]["retail"], status["detail"]["gastronomy"]) == (False, 1, 1)
        assert await flips(url, "retail_gastronomy", 0, 0) == (0, 0)

        shop = published(client, name="Bioladen Kornblume", category="einzelhandel", fairtrade_products=3)
        status = criterion(client, "retail_gastronomy")
        assert status["met"] and (status["count"], status["target"]) == (3, 3)
        assert await flips(url, "retail_gastronomy", 1, 0) == (1, 0)
        met = (await stream_bodies(url, "FAIRTRADE", "hallobot.fairtrade.criterion.met.retail_gastronomy"))[0]
        assert met["data"] == {
            "criterion": "retail_gastronomy",
            "count": 3,
            "target": 3,
            "detail": {"retail": 2, "retail_target": 2, "gastronomy": 1, "gastronomy_target": 1},
        }

        assert client.post(f"/businesses/{shop['id']}/unpublish", headers=OPERATOR).status_code == 200
        assert await flips(url, "retail_gastronomy", 1, 1) == (1, 1)
        assert client.post(f"/businesses/{shop['id']}/publish", headers=OPERATOR).status_code == 200
        # the owner now offers only one Fairtrade product: the shop no longer counts
        edited = client.patch(
            f"/businesses/{shop['id']}", json={"fairtrade_products": 1}, headers=owner(shop["edit_token"])
        )
        assert edited.status_code == 200
        assert await flips(url, "retail_gastronomy", 2, 2) == (2, 2)
        assert not criterion(client, "retail_gastronomy")["met"]


async def test_the_five_criteria_bring_the_milestone_and_the_title_its_reminder(campaign_service):
    url, today = campaign_service.nats_url, today_in_bottrop()
    with campaign_service.client() as client:
        assert client.patch("/fairtrade", json={"population": 117_000}).status_code == 401
        answer = client.patch(
            "/fairtrade",
            headers=OPERATOR,
            json={
                "council_resolution_on": "2024-05-14",
                "council_resolution_text": "Der Rat beschließt die Teilnahme.",
                "steering_group": ["Wirtschaftsförderung", "Weltladen Bottrop", "Evangelische Kirchengemeinde"],
            },
        )
        assert answer.status_code == 200, answer.text
        for kind in ("school", "association", "faith_community"):
            created = client.post(
                "/fairtrade/actions",
                headers=OPERATOR,
                json={
                    "kind": kind,
                    "organisation": f"Demo {kind}",
                    "action": "Fairer Frühstückstag",
                    "held_on": str(today),
                },
            )
            assert created.status_code == 201, created.text
        articles = [
            client.post(
                "/fairtrade/press",
                headers=OPERATOR,
                json={"title": f"Bottrop wird fair ({n})", "outlet": "WAZ Bottrop", "published_on": str(today)},
            ).json()
            for n in range(4)
        ]
        status = criterion(client, "retail_gastronomy")["detail"]
        for n in range(max(0, status["retail_target"] - status["retail"])):
            published(client, name=f"Fairer Laden {n}", fairtrade_products=5)
        for n in range(max(0, status["gastronomy_target"] - status["gastronomy"])):
            published(client, name=f"Faires Café {n}", category="gastronomie", fairtrade_products=5)
        campaign = client.get("/fairtrade").json()
        assert campaign["all_met"] is True, campaign
        milestones = await events_of(url, "FAIRTRADE", "hallobot.fairtrade.milestone.reached.all_criteria_met", 1)
        assert len(milestones) == 1 and milestones[0]["data"]["on"] == str(today)

        assert client.delete(f"/fairtrade/press/{articles[0]['id']}", headers=OPERATOR).status_code == 204
        assert await flips(url, "press", 1, 1) == (1, 1)
        assert client.delete(f"/fairtrade/press/{articles[0]['id']}", headers=OPERATOR).status_code == 404

        expires = today + timedelta(days=20)
        awarded = client.post(
            "/fairtrade/title",
            headers=OPERATOR,
            json={"kind": "awarded", "on": str(expires.replace(year=expires.year - 2))},
        )
        assert awarded.status_code == 200 and awarded.json()["title_expires_on"] == str(expires)
        assert awarded.json()["title_valid"] is True
        await events_of(url, "FAIRTRADE", "hallobot.fairtrade.recertification.due.>", 1)
        await asyncio.sleep(0.6)  # a few more job rounds: still one reminder
        reminders = await stream_bodies(url, "FAIRTRADE", "hallobot.fairtrade.recertification.due.>")
        assert [r["data"] for r in reminders] == [{"expires_on": str(expires), "days_left": 20}]
        renewed = client.post("/fairtrade/title", headers=OPERATOR, json={"kind": "renewed", "on": str(today)})
        assert renewed.json()["title_expires_on"] == str(today.replace(year=today.year + 2))
        titles = await events_of(url, "FAIRTRADE", "hallobot.fairtrade.milestone.reached.>", 3)
        assert [t["data"]["milestone"] for t in titles] == ["all_criteria_met", "title_awarded", "title_renewed"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/fairtrade/actions", {"kind": "club", "organisation": "x", "action": "y", "held_on": "2025-01-01"}, "kind"),
        ("/fairtrade/press", {"title": "t" * 301, "outlet": "WAZ", "published_on": "2025-01-01"}, "title"),
        ("/fairtrade/title", {"kind": "awarded", "on": "bald"}, "on"),
    ],
)
def test_bad_campaign_input_is_a_422_that_names_the_field(campaign_service, path, body, field):
    with campaign_service.client() as client:
        answer = client.post(path, json=body, headers=OPERATOR)
        assert answer.status_code == 422 and field in answer.json()["message"], answer.text
        assert client.post(path, json=body).status_code == 401
    with campaign_service.client() as client:
        answer = client.patch("/fairtrade", headers=OPERATOR, json={"steering_group": ["x" * 201]})
        assert answer.status_code == 422 and "steering_group" in answer.json()["message"]


def test_the_campaign_is_public_and_starts_from_bottrops_population(campaign_service):
    with campaign_service.client() as client:
        campaign = client.get("/fairtrade").json()
        assert campaign["population"] == 117_000 and campaign["year"] == today_in_bottrop().year
        assert [c["criterion"] for c in campaign["criteria"]] == [
            "council_resolution",
            "steering_group",
            "retail_gastronomy",
            "civil_society",
            "press",
        ]
        assert date.fromisoformat(campaign["title_expires_on"] or "2000-01-01")


async def test_concurrent_unpublishing_and_republishing_flip_the_criterion_once_each_way(campaign_service):
    from concurrent.futures import ThreadPoolExecutor

    url = campaign_service.nats_url
    with campaign_service.client() as client:
        for n in range(4):
            published(client, name=f"Paralleler Laden {n}", fairtrade_products=2)
        for n in range(2):
            published(client, name=f"Paralleles Café {n}", category="gastronomie", fairtrade_products=2)
        assert criterion(client, "retail_gastronomy")["met"]
        listing = client.get("/businesses", headers=OPERATOR, params={"fairtrade": True, "per_page": 100}).json()
        counted = [
            b["id"] for b in listing["items"] if b["fairtrade_products"] >= 2 and b["category"] == "einzelhandel"
        ]
        before = await flips(url, "retail_gastronomy", 0, 0)

        def switch(business_id: str, verb: str) -> int:
            with campaign_service.client() as own:
                return own.post(f"/businesses/{business_id}/{verb}", headers=OPERATOR).status_code

        with ThreadPoolExecutor(len(counted)) as pool:
            assert set(pool.map(lambda b: switch(b, "unpublish"), counted)) == {200}
        assert await flips(url, "retail_gastronomy", before[0], before[1] + 1) == (before[0], before[1] + 1)
        with ThreadPoolExecutor(len(counted)) as pool:
            assert set(pool.map(lambda b: switch(b, "publish"), counted)) == {200}
        assert await flips(url, "retail_gastronomy", before[0] + 1, before[1] + 1) == (before[0] + 1, before[1] + 1)
