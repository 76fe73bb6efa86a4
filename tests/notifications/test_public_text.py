"""What strangers and the public get to read: a registration mail to any address carries no
registrant text and links only ours; no raw cancel token stays in the database; failure reasons
hide addresses in any case; unreviewed profile text never reaches the feed or a subscriber."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from html.parser import HTMLParser

import httpx
import pytest
from sqlalchemy import select

from services.notifications import models
from shared.catalog import (
    BusinessArchived,
    BusinessPublished,
    BusinessRegistered,
    BusinessUnpublished,
    BusinessUpdated,
    HotspotStatusChanged,
    RegistrantNotice,
)
from shared.db import Database
from shared.envelope import utcnow
from tests.notifications.conftest import (
    body_text,
    deliveries,
    link,
    press,
    publish,
    service_env,
    start_service,
    until,
)
from tests.notifications.test_feed import sse
from tests.support.stream import stream_messages

PHISH = "Ihr Konto wird gesperrt. Jetzt bestätigen: https://evil.example/login"


class Anchors(HTMLParser):
    """Every link target in an HTML part, as a mail client would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.hrefs += [value for name, value in attrs if name == "href"]


def parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def notice(registration_id: str, kind: str, email: str, cancel_url: str | None = None, name: str = PHISH):
    starts = utcnow() + timedelta(days=3)
    return RegistrantNotice(
        registration_id=registration_id,
        event_id="ev1",
        kind=kind,
        email=email,
        name=name,
        language="de",
        cancel_url=cancel_url,
        event_title="Gründerfrühstück",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue="Rathaus Bottrop",
    )


async def everything_stored(database_url: str) -> str:
    """Every row of every table of the service's database, as one text."""
    db = Database(database_url)
    try:
        async with db.reading() as session:
            rows = [
                repr(tuple(row))
                for table in models.metadata.sorted_tables
                for row in (await session.execute(select(table))).all()
            ]
    finally:
        await db.dispose()
    return "\n".join(rows)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_a_phishing_name_never_reaches_the_mail_and_no_raw_cancel_token_stays_in_the_database(
    database, nats_server, nc, smtp, tmp_path, request
):
    database_url = (
        f"sqlite:///{tmp_path / 'var' / 'notifications.sqlite3'}"
        if database == "sqlite"
        else request.getfixturevalue("postgres_database")
    )
    service = start_service(
        service_env(nats_server.url, smtp.port, tmp_path / "var", None if database == "sqlite" else database_url),
        tmp_path,
    )
    try:
        token = "Tok3nOfTheRegistrant0123456789"
        cancel = f"http://127.0.0.1:8002/registrations/r1/cancel?token={token}"
        await publish(nc, notice("r1", "waitlisted", "victim@example.org", cancel).model_copy(update={"position": 1}))
        await publish(nc, notice("r1", "promoted", "victim@example.org"))  # the kept link, unsealed
        assert await until(lambda: len(smtp.to("victim@example.org")) == 2)
        for mail in smtp.to("victim@example.org"):  # parsed from what the real SMTP server received
            text, html = parts(mail)
            everything = mail["Subject"] + text + html
            assert "evil.example" not in everything and "gesperrt" not in everything
            assert text.startswith("Guten Tag,\n") and cancel in text
            anchors = Anchors()
            anchors.feed(html)
            assert anchors.hrefs == [cancel], "only our own link is a link"

        assert await until(lambda: len(deliveries(service, status="sent")) == 2)
        stored = await everything_stored(database_url)
        assert "victim@example.org" in stored  # the rows are there (the operator's log) …
        assert token not in stored, "a raw cancel token stayed in the database after sending"
    finally:
        service.kill()


async def test_an_address_in_any_case_is_hidden_in_failure_reasons(notifications, smtp, nc):
    smtp.handler.answers = {"gone.user@example.org": "550 5.1.1 <GONE.USER@EXAMPLE.ORG>: no such user here"}
    await publish(nc, notice("r1", "confirmed", "Gone.User@Example.org"))
    assert await until(lambda: deliveries(notifications, status="dead"))
    (dead,) = deliveries(notifications, status="dead")
    assert dead["last_error"].startswith("550") and "<recipient>" in dead["last_error"]
    assert "gone.user" not in dead["last_error"].lower()
    failed = await stream_messages(nc.jetstream(), "NOTIFICATIONS", "hallobot.notifications.delivery.failed.>")
    assert len(failed) == 1 and b"gone.user" not in failed[0].data.lower()


async def test_a_pending_profiles_text_never_reaches_the_feed_or_a_subscribers_mail(nats_server, nc, smtp, tmp_path):
    env = service_env(nats_server.url, smtp.port, tmp_path / "var")
    service = start_service(env, tmp_path)
    try:
        subscribed = httpx.post(
            f"{service.url}/subscriptions", json={"email": "cit@example.org", "topics": ["directory.*"]}
        )
        assert subscribed.status_code == 202
        assert await until(lambda: smtp.to("cit@example.org"))
        assert press(link(smtp.to("cit@example.org")[0], "confirm")).status_code == 200

        stream = [
            BusinessRegistered(business_id="b1", name=PHISH, category="handwerk", self_registered=True),
            BusinessUpdated(business_id="b1", name=PHISH + " 2", category="handwerk", changed=["name"]),
            BusinessArchived(business_id="b1", name=PHISH + " 3", category="handwerk"),
            BusinessRegistered(business_id="b2", name="Weltladen", category="einzelhandel", self_registered=True),
            BusinessPublished(business_id="b2", name="Weltladen", category="einzelhandel"),
            BusinessUpdated(business_id="b2", name="Weltladen am Markt", category="einzelhandel", changed=["name"]),
            BusinessUnpublished(business_id="b2", name="Weltladen am Markt", category="einzelhandel"),
            BusinessUpdated(business_id="b2", name=PHISH + " 4", category="einzelhandel", changed=["name"]),
        ]
        public = {4, 5, 6}  # the indexes above that the public may read
        connected = asyncio.Event()
        reader = asyncio.create_task(sse(service.url, len(public), quiet_s=1.0, connected=connected))
        await asyncio.wait_for(connected.wait(), 20)
        events = [await publish(nc, data) for data in stream]
        live = await reader
        assert [json.loads(e["data"])["id"] for e in live[1:]] == [events[i].id for i in sorted(public)]

        # the subscriber: one mail per public event, none with the unreviewed text
        assert await until(lambda: len(smtp.to("cit@example.org")) == 1 + len(public))
        await asyncio.sleep(0.5)  # room for a mail that should not come
        mails = smtp.to("cit@example.org")[1:]
        assert len(mails) == len(public)
        assert not any("evil.example" in m["Subject"] + body_text(m) or "gesperrt" in m["Subject"] for m in mails)
        assert sorted(m["Subject"] for m in mails) == sorted(
            [
                "Neu im Verzeichnis: Weltladen.",
                "Eintrag geändert: Weltladen am Markt.",
                "Nicht mehr im Verzeichnis: Weltladen am Markt.",
            ]
        )

        # a restarted instance learns the profiles from the stream: a replay from the start decides the same
        service.kill()
        service = start_service(env, tmp_path)
        replayed = await sse(service.url, len(public), last_event_id="0-0-0-0", quiet_s=1.0)
        assert [json.loads(e["data"])["id"] for e in replayed[1:]] == [events[i].id for i in sorted(public)]
        assert not any("evil.example" in e["data"] for e in replayed)
    finally:
        service.kill()


@pytest.fixture
def bounded_feed(nats_server, smtp, tmp_path):
    env = service_env(nats_server.url, smtp.port, tmp_path / "var")
    env |= {"NOTIFICATIONS_FEED_MAX_CLIENTS": "3", "NOTIFICATIONS_FEED_REPLAY_LIMIT": "5"}
    service = start_service(env, tmp_path)
    yield service
    service.kill()


def feed_status(url: str) -> httpx.Response:
    with httpx.Client(timeout=5) as client, client.stream("GET", f"{url}/feed") as response:
        return response


async def test_the_feed_refuses_connections_beyond_its_cap_with_503_and_takes_new_ones_when_one_leaves(bounded_feed):
    from tests.notifications.test_feed import open_raw_clients

    clients = await open_raw_clients(bounded_feed.url, 3)
    try:
        refused = await asyncio.to_thread(httpx.get, f"{bounded_feed.url}/feed", timeout=5)
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
        assert refused.json()["message"]
        clients.pop().transport.close()
        assert await until(lambda: feed_status(bounded_feed.url).status_code == 200, timeout=10)
    finally:
        for client in clients:
            client.transport.close()


async def test_a_malformed_last_event_id_is_400_and_0_0_0_0_replays_only_the_bounded_backlog(bounded_feed, nc):
    for bad in ("abc", "1-2-3", "1-2-3-99999999999999999999999"):
        answer = httpx.get(f"{bounded_feed.url}/feed", headers={"Last-Event-ID": bad}, timeout=5)
        assert answer.status_code == 400 and answer.json()["field"] == "Last-Event-ID"
    assert httpx.get(f"{bounded_feed.url}/feed", params={"last_event_id": "x-y"}, timeout=5).status_code == 400

    connected = asyncio.Event()
    watcher = asyncio.create_task(sse(bounded_feed.url, 12, connected=connected))  # done once all twelve are seen
    await asyncio.wait_for(connected.wait(), 20)
    sent = [
        await publish(nc, HotspotStatusChanged(hotspot_id="h1", previous=None, status=s, since=utcnow()))
        for s in ["up", "down"] * 6
    ]
    await watcher
    replayed = await sse(bounded_feed.url, 5, last_event_id="0-0-0-0", quiet_s=1.0)
    assert [json.loads(e["data"])["id"] for e in replayed[1:]] == [e.id for e in sent[-5:]]
    assert replayed[0]["id"] == "0-0-7-0"  # the ready frame: where the replay starts
