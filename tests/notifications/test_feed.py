"""The web: an SSE feed that resumes from the streams, and the live page in a real headless browser."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from urllib.parse import urlsplit

import httpx
import pytest

from shared.catalog import (
    BusinessPublished,
    BusinessRegistered,
    EventPublished,
    HotspotRegistered,
    HotspotStatusChanged,
)
from shared.envelope import utcnow
from tests.notifications.conftest import publish, until
from tests.support.browser import ARGS, chromium_path

SITES = {
    "kirchplatz": "Kirchplatz",
    "rathaus": "Rathaus",
    "altmarkt": "Altmarkt",
    "hansa": "Hansa-Center",
    "kulturzentrum": "Kulturzentrum August Everding",
    "bahnhof": "ZOB Berliner Platz",
}


async def sse(
    url: str,
    count: int,
    last_event_id: str | None = None,
    quiet_s: float = 0.0,
    backlog: int = 0,
    connected: asyncio.Event | None = None,
):
    """Read `count` SSE events (after `ready`), then listen `quiet_s` longer to catch any extra one.
    `connected` is set once `ready` arrived: from then on the client gets every new event (on a busy
    machine a fixed pause before publishing was not always long enough)."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    params = {"backlog": backlog} if backlog else {}
    events, block = [], {}
    async with httpx.AsyncClient(timeout=None) as client:
        async with client.stream("GET", f"{url}/feed", headers=headers, params=params) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()

            async def next_event():
                nonlocal block
                async for line in lines:
                    if line == "":
                        if "data" in block:
                            item, block = block, {}
                            return item
                        continue
                    if line.startswith(":"):
                        continue
                    key, _, value = line.partition(":")
                    block[key] = value.removeprefix(" ")
                return None

            ready = await asyncio.wait_for(next_event(), 10)
            assert ready["event"] == "ready"
            if connected is not None:
                connected.set()
            events.append(ready)
            while len(events) < count + 1:
                events.append(await asyncio.wait_for(next_event(), 10))
            if quiet_s:
                try:
                    events.append(await asyncio.wait_for(next_event(), quiet_s))
                except TimeoutError:
                    pass
    return events


def change(hotspot: str, previous, status: str) -> HotspotStatusChanged:
    return HotspotStatusChanged(hotspot_id=hotspot, previous=previous, status=status, since=utcnow())


async def test_a_reconnect_with_last_event_id_replays_exactly_the_missed_events(notifications, nc):
    starts = utcnow()
    first = [
        change("kirchplatz", "up", "down"),
        change("rathaus", None, "up"),
        EventPublished(event_id="e1", title="Gründerfrühstück", starts_at=starts, ends_at=starts),
    ]
    missed = [
        BusinessPublished(business_id="b1", name="Eine-Welt-Laden", category="retail"),
        BusinessRegistered(business_id="b2", name="Noch nicht geprüft", category="retail", self_registered=True),
        change("kirchplatz", "down", "up"),
    ]

    connected = asyncio.Event()
    reader = asyncio.create_task(sse(notifications.url, 3, connected=connected))
    await asyncio.wait_for(connected.wait(), 20)
    sent = [await publish(nc, data) for data in first]
    seen = await reader
    assert [json.loads(e["data"])["id"] for e in seen[1:]] == [event.id for event in sent]

    missed_events = [await publish(nc, data) for data in missed]
    resumed = await sse(notifications.url, 3, last_event_id=seen[2]["id"], quiet_s=0.7)
    replayed = [json.loads(e["data"])["id"] for e in resumed[1:]]
    # the third of the first batch and what was missed, minus the unreviewed registration; in order
    # within each stream (across streams a replay may interleave them differently)
    assert sorted(replayed) == sorted([sent[2].id, missed_events[0].id, missed_events[2].id])
    assert resumed[0]["id"] == seen[2]["id"]
    assert len({e["id"] for e in resumed}) == len(resumed)


async def test_a_new_client_asking_for_a_backlog_first_gets_the_latest_events_of_each_stream(notifications, nc):
    connected = asyncio.Event()
    watcher = asyncio.create_task(sse(notifications.url, 6, connected=connected))  # done once all six are seen
    await asyncio.wait_for(connected.wait(), 20)
    older = [await publish(nc, change("altmarkt", None, "up")) for _ in range(3)]
    latest_wifi = [await publish(nc, change("altmarkt", "up", status)) for status in ("down", "up")]
    latest_directory = await publish(nc, BusinessPublished(business_id="b1", name="Eine-Welt-Laden", category="retail"))
    hidden = await publish(
        nc, BusinessRegistered(business_id="b2", name="Ungeprüft", category="retail", self_registered=True)
    )
    await watcher

    backlog = await sse(notifications.url, 3, backlog=2, quiet_s=0.7)
    ids = [json.loads(e["data"])["id"] for e in backlog[1:]]
    # two per stream: WIFI's two latest, DIRECTORY's latest public one (the other of its two is hidden)
    assert sorted(ids) == sorted([*(e.id for e in latest_wifi), latest_directory.id])
    assert not {e.id for e in older} & set(ids) and hidden.id not in ids
    # without a backlog a new client starts at the live position
    connected = asyncio.Event()
    live = asyncio.create_task(sse(notifications.url, 1, connected=connected))
    await asyncio.wait_for(connected.wait(), 20)
    newest = await publish(nc, change("altmarkt", "up", "down"))
    assert [json.loads(e["data"])["id"] for e in (await live)[1:]] == [newest.id]


async def test_a_resume_during_a_burst_switches_from_the_streams_to_the_live_tail_without_gap_or_duplicate(
    notifications, nc
):
    """The resuming client reads its gap from JetStream while new events keep coming on the live
    fan-out: it must see every event after its id once, in order within each stream."""
    before = [await publish(nc, change("rathaus", None, "up" if i % 2 else "down")) for i in range(3)]
    seen = await sse(notifications.url, 1, last_event_id="0-0-0-0")
    assert json.loads(seen[1]["data"])["id"] == before[0].id
    starts = utcnow()
    gap = []
    for i in range(40):
        gap.append(await publish(nc, change("kirchplatz", None, "up" if i % 2 else "down")))
        gap.append(await publish(nc, EventPublished(event_id=f"g{i}", title="Markt", starts_at=starts, ends_at=starts)))

    burst: list = []

    async def keep_publishing() -> None:
        for i in range(60):
            burst.append(await publish(nc, change("altmarkt", None, "up" if i % 2 else "down")))
            burst.append(
                await publish(nc, EventPublished(event_id=f"b{i}", title="Fest", starts_at=starts, ends_at=starts))
            )
            await asyncio.sleep(0.005)

    publisher = asyncio.create_task(keep_publishing())
    expected = [*before[1:], *gap]
    resumed = await sse(notifications.url, len(expected) + 120, last_event_id=seen[1]["id"], quiet_s=0.7)
    await publisher
    got = [json.loads(e["data"]) for e in resumed[1:]]
    ids = [e["id"] for e in got]
    assert len(ids) == len(set(ids)), "a duplicate"
    assert sorted(ids) == sorted(e.id for e in [*expected, *burst]), "a gap or an extra event"
    for kind in ("wifi", "events"):  # within one stream, stream order
        want = [e.id for e in [*expected, *burst] if e.type.startswith(f"de.bottrop.hallobot.{kind}.")]
        assert [e["id"] for e in got if e["type"].startswith(f"de.bottrop.hallobot.{kind}.")] == want
    positions = [[int(p) for p in e["id"].split("-")] for e in resumed]
    assert all(
        a <= b for earlier, later in itertools.pairwise(positions) for a, b in zip(earlier, later, strict=True)
    ), "the id vector never goes back"


class RawFeedClient(asyncio.Protocol):
    """A bare socket on GET /feed (no client library): counts how often a marker arrives."""

    def __init__(self, marker: bytes) -> None:
        self.marker, self.buffer, self.ready = marker, bytearray(), asyncio.get_running_loop().create_future()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.ready.done() and b"event: ready" in self.buffer:
            self.ready.set_result(None)

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("feed closed"))

    def count(self, marker: bytes) -> int:
        return bytes(self.buffer).count(marker)


async def open_raw_clients(url: str, n: int) -> list[RawFeedClient]:
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    request = f"GET /feed HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode()
    clients = []
    for _ in range(n):
        _, client = await loop.create_connection(lambda: RawFeedClient(b""), parts.hostname, parts.port)
        client.transport.write(request)
        clients.append(client)
    await asyncio.wait_for(asyncio.gather(*(c.ready for c in clients)), 30)
    return clients


async def test_two_hundred_concurrent_clients_each_receive_the_same_event_once(notifications, nc):
    clients = await open_raw_clients(notifications.url, 200)
    try:
        event = await publish(nc, change("hansa", "up", "down"))
        hidden = await publish(
            nc, BusinessRegistered(business_id="b9", name="Ungeprüft", category="retail", self_registered=True)
        )
        marker = event.id.encode()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(c.count(marker) for c in clients):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # room for a duplicate to show up
        assert [c.count(marker) for c in clients] == [1] * 200
        assert not any(c.count(hidden.id.encode()) for c in clients), "a hidden type reached the public feed"
        ids = {bytes(c.buffer).split(b"id: ")[-1].split(b"\r\n")[0] for c in clients}
        assert len(ids) == 1, "every live client gets the same position vector"
    finally:
        for client in clients:
            client.transport.close()


@pytest.fixture(scope="session")
def chromium() -> str:
    return chromium_path()


async def test_the_live_page_shows_the_hotspots_and_a_status_change_without_reload(notifications, nc, chromium):
    from playwright.async_api import async_playwright, expect

    for hotspot, site in SITES.items():
        await publish(nc, HotspotRegistered(hotspot_id=hotspot, site_name=site))
    await publish(nc, BusinessPublished(business_id="b1", name="Eine-Welt-Laden", category="retail"))
    await publish(nc, change("kirchplatz", None, "up"))
    assert await until(lambda: len(httpx.get(f"{notifications.url}/status/hotspots").json()) == 6)
    assert await until(lambda: httpx.get(f"{notifications.url}/status/hotspots").json()[2]["status"] == "up")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(notifications.url + "/live?lang=de")  # (the browser asks for English)
            await expect(page.locator("html")).to_have_attribute("lang", "de")
            await expect(page.locator(".hotspot")).to_have_count(6)
            tile = page.locator("#hotspot-kirchplatz")
            await expect(tile).to_contain_text("in Betrieb")
            # the page opens with the latest events (the backlog), newest first across the streams
            # (they are replayed stream by stream: DIRECTORY's before WIFI's)
            events = page.locator("#ereignisse li")
            await expect(events).to_have_count(8)
            await expect(events.nth(0)).to_contain_text("WLAN-Hotspot Kirchplatz ist jetzt in Betrieb.")
            await expect(events.nth(1)).to_contain_text("Neu im Verzeichnis: Eine-Welt-Laden.")
            await expect(events.nth(2)).to_contain_text("Neuer WLAN-Hotspot: ZOB Berliner Platz.")
            # events a few microseconds apart (often within one millisecond) still sort by time
            assert await page.evaluate(
                "zeitpunkt('2026-11-21T07:11:42.123456Z') > zeitpunkt('2026-11-21T07:11:42.123455Z')"
            )
            await expect(page.locator("#verbindung")).to_have_attribute("data-state", "live")

            await publish(nc, change("kirchplatz", "up", "down"))
            await expect(tile).to_contain_text("ausgefallen", timeout=10_000)
            await expect(tile).to_have_attribute("data-status", "down")
            await expect(page.locator("#ereignisse li").first).to_contain_text(
                "WLAN-Hotspot Kirchplatz ist jetzt ausgefallen (vorher in Betrieb)."
            )
        finally:
            await browser.close()
