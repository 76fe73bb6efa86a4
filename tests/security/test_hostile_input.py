"""Hostile input against the four services as real processes, on SQLite and on PostgreSQL: every
example of issue 14's items 1, 2 and 7 (and more of their kind). No request gets a 5xx; every
refusal is JSON and names the field (or parameter) at fault; nothing of it is stored.

The last test drives the guard in process: an exception no handler knows becomes a JSON 500 and is
logged once, with its traceback.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from shared.config import SERVICES
from shared.http import install_error_handlers
from shared.http_guard import install_guard
from tests.support.postgres import create_database, drop_database
from tests.support.system import OPERATOR, System, shared_system

LIMIT = 1_048_576  # HALLOBOT_MAX_BODY_BYTES' default
JSON = {"Content-Type": "application/json"}
PUBLIC = {"X-Forwarded-For": "198.51.100.14"}


@dataclass
class Target:
    system: System
    event_id: str
    hotspot_id: str
    host_token: str
    business_id: str

    def client(self, service: str) -> httpx.Client:
        return self.system.client(service)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request, tmp_path_factory) -> Iterator[Target]:
    if request.param == "sqlite":  # the running system of the fuzz and fault tests (SQLite): no new start
        yield _prepared(shared_system(tmp_path_factory, request.config))
        return
    server = request.getfixturevalue("postgres_url")
    databases = {f"{name.upper()}_DATABASE_URL": create_database(server) for name in SERVICES}
    system = System(tmp_path_factory.mktemp(f"hostile-{request.param}"), env=databases)
    try:
        with system:
            yield _prepared(system)
    finally:
        for url in databases.values():
            drop_database(server, url)


def _prepared(system: System) -> Target:
    with system.client("events") as events, system.client("wifi") as wifi, system.client("directory") as directory:
        event = events.post("/events", headers=OPERATOR, json=_event(starts_at="2031-05-04T18:00:00"))
        assert event.status_code == 201, event.text
        event_id = event.json()["id"]
        assert events.post(f"/events/{event_id}/publish", headers=OPERATOR).status_code == 200
        hotspot = wifi.post("/hotspots", headers=OPERATOR, json=_hotspot())
        assert hotspot.status_code == 201, hotspot.text
        business = directory.post("/businesses", headers=OPERATOR, json={"name": "Laden", "category": "einzelhandel"})
        assert business.status_code == 201, business.text
    return Target(system, event_id, hotspot.json()["id"], hotspot.json()["host_token"], business.json()["id"])


def _event(**overrides: object) -> dict:
    body = {
        "title": "Sprechstunde Gründung",
        "starts_at": "2031-05-04T18:00:00",
        "ends_at": "2031-05-04T20:00:00",
        "venue": "Rathaus",
        "capacity": 10,
    }
    return body | overrides


def _hotspot() -> dict:
    return {
        "site_name": "Kirchplatz",
        "host_business": "Café am Kirchplatz",
        "address": "Kirchplatz 1, 46236 Bottrop",
        "latitude": 51.52,
        "longitude": 6.93,
        "ap_model": "U6 Mesh",
        "ap_serial": "U6M-0042",
        "ap_mac": "74:83:C2:00:00:42",
        "placement": "outdoor",
    }


def refused(response: httpx.Response, status: int, field: str) -> dict:
    """The answer is the expected 4xx, as JSON, with a message, and its `field` names the input at
    fault (`filters.series` names `filters`)."""
    assert response.status_code == status, f"{response.status_code} {response.text[:500]}"
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body.get("message"), body
    assert field in (body.get("field") or "").split("."), body
    return body


def raw(client: httpx.Client, method: str, path: str, text: str, headers: dict | None = None) -> httpx.Response:
    """JSON as text, so that it can hold what `json.dumps` will not write (NaN, 1e400, lone surrogates)."""
    return client.request(method, path, content=text.encode("utf-8"), headers={**JSON, **(headers or {})})


# --- item 1: numbers, dates and offsets -------------------------------------------------------------


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
def test_a_business_at_a_latitude_that_is_no_finite_number_is_refused_naming_it(target, number):
    with target.client("directory") as client:
        body = f'{{"name":"x","category":"einzelhandel","latitude":{number}}}'
        refused(raw(client, "POST", "/businesses", body, PUBLIC), 422, "latitude")
        listed = client.get("/businesses", params={"q": "x", "per_page": 100}, headers=OPERATOR).json()
        assert all(item["name"] != "x" for item in listed["items"])


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_host_report_with_a_backhaul_that_is_no_finite_number_is_refused_naming_it(target, number):
    now = datetime.now(UTC).isoformat()
    body = f'{{"timestamp":"{now}","uplink_ok":true,"clients":3,"backhaul_mbps":{number}}}'
    auth = {"Authorization": f"Bearer {target.host_token}"}
    with target.client("wifi") as client:
        refused(raw(client, "POST", f"/hotspots/{target.hotspot_id}/reports", body, auth), 422, "backhaul_mbps")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ('"\\ud800"', "lone surrogate"),
        ('"Anna\\udfff"', "lone low surrogate"),
        ('"\\u0000"', "NUL"),
        ('"Anna\\u0000Berg"', "NUL inside"),
        ('"Anna\\u0007"', "control character"),
        ('"Anna\\nBerg"', "newline in a one-line field"),
        ('"\\u202eknaB"', "right-to-left override"),
        ('"Anna\\u200bBerg"', "zero-width space"),
        ('"Anna\\u2066Berg\\u2069"', "bidi isolate"),
    ],
)
def test_a_registration_whose_name_is_not_one_clean_line_is_refused_naming_the_name(target, name, why):
    body = f'{{"name":{name},"email":"anna@example.org","consent":true}}'
    with target.client("events") as client:
        refused(raw(client, "POST", f"/events/{target.event_id}/registrations", body), 422, "name")
        event = client.get(f"/events/{target.event_id}").json()
        assert event["confirmed"] == 0, why


def test_a_lone_surrogate_as_a_field_name_is_refused_without_echoing_it(target):
    """A name that is no text cannot be named: the body is."""
    body = '{"name":"Anna","email":"anna@example.org","consent":true,"\\ud800":1}'
    with target.client("events") as client:
        answer = refused(raw(client, "POST", f"/events/{target.event_id}/registrations", body), 422, "body")
        assert "\\ud800" not in json.dumps(answer)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": "9223372036854775808"}, "offset"),
        ({"offset": "100001"}, "offset"),
        ({"offset": "-1"}, "offset"),
        ({"limit": "1" + "0" * 30}, "limit"),
        ({"after": "9999-12-31T23:59:59-14:00"}, "after"),
        ({"after": "0001-01-01T00:00:00+14:00"}, "after"),
        ({"after": "0001-01-01T00:00:00"}, "after"),
    ],
)
def test_listing_events_out_of_range_is_a_422_naming_the_parameter(target, params, field):
    with target.client("events") as client:
        refused(client.get("/events", params=params), 422, field)


def test_an_offset_within_its_bound_still_lists(target):
    with target.client("events") as client:
        assert client.get("/events", params={"offset": "100000"}).json() == []


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00", "2200-13-01T00:00:00+00:00"])
def test_open_at_a_time_out_of_range_is_a_422_naming_the_parameter(target, at):
    with target.client("directory") as client:
        refused(client.get("/businesses", params={"open_now": "true", "at": at}), 422, "at")


@pytest.mark.parametrize(
    ("start", "end"),
    [("9998-01-01T10:00:00", "9998-01-01T12:00:00"), ("0001-01-01T10:00:00", "0001-01-01T12:00:00")],
)
def test_a_recurring_series_at_the_ends_of_the_calendar_is_refused(target, start, end):
    body = _event(starts_at=start, ends_at=end) | {"frequency": "monthly", "count": 60, "interval": 12}
    with target.client("events") as client:
        refused(client.post("/events/series", json=body, headers=OPERATOR), 422, "starts_at")


def test_an_event_ending_in_the_year_9999_is_refused(target):
    with target.client("events") as client:
        refused(client.post("/events", json=_event(ends_at="9999-12-31T23:59:59"), headers=OPERATOR), 422, "ends_at")


def test_a_maintenance_window_at_the_end_of_the_calendar_is_refused(target):
    body = {"starts_at": "9999-12-31T00:00:00-14:00", "ends_at": "9999-12-31T23:59:59-14:00"}
    with target.client("wifi") as client:
        answer = client.post(f"/hotspots/{target.hotspot_id}/maintenance", json=body, headers=OPERATOR)
        refused(answer, 422, "starts_at")


def test_a_host_report_from_the_year_one_is_refused(target):
    body = {"timestamp": "0001-01-01T00:00:00+14:00", "uplink_ok": True, "clients": 1}
    auth = {"Authorization": f"Bearer {target.host_token}"}
    with target.client("wifi") as client:
        refused(client.post(f"/hotspots/{target.hotspot_id}/reports", json=body, headers=auth), 422, "timestamp")


def test_a_fairtrade_title_awarded_in_the_year_9999_is_refused(target):
    with target.client("directory") as client:
        answer = client.post("/fairtrade/title", json={"kind": "awarded", "on": "9999-12-31"}, headers=OPERATOR)
        refused(answer, 422, "on")


# --- item 2: NUL bytes (PostgreSQL cannot store them) -----------------------------------------------


@pytest.mark.parametrize(
    ("service", "path", "field"),
    [
        ("events", "/events/a%00", "event_id"),
        ("events", "/events/a%00.ics", "event_id"),
        ("events", "/events?series=a%00", "series"),
        ("events", "/events.ics?series=%00", "series"),
        ("events", "/registrations/a%00?token=x", "registration_id"),
        ("events", "/registrations/abc?token=x%00", "token"),
        ("events", "/events?after=2030-01-01T00:00:00%01", "after"),
        ("directory", "/businesses/a%00", "business_id"),
        ("directory", "/businesses?q=%00", "q"),
        ("directory", "/businesses?q=%C2%85", "q"),
        ("wifi", "/hotspots/a%00", "hotspot_id"),
        ("wifi", "/hotspots/a%1f/maintenance", "hotspot_id"),
        ("notifications", "/subscriptions/a%00/confirm?token=x", "subscription_id"),
        ("notifications", "/feed?last_event_id=%00", "last_event_id"),
    ],
)
def test_a_control_character_in_the_path_or_query_is_a_400_naming_the_parameter(target, service, path, field):
    with target.client(service) as client:
        refused(client.get(path), 400, field)


def test_a_registration_with_a_nul_in_the_organisation_is_refused(target):
    body = '{"name":"Anna","email":"anna@example.org","organisation":"Firma\\u0000","consent":true}'
    with target.client("events") as client:
        refused(raw(client, "POST", f"/events/{target.event_id}/registrations", body), 422, "organisation")


def test_a_subscription_filter_with_a_nul_is_refused_naming_the_filters(target):
    body = {"email": "anna@example.org", "topics": ["events.*"], "filters": {"series": "a\x00"}}
    with target.client("notifications") as client:
        refused(client.post("/subscriptions", json=body), 422, "filters")


def test_a_profile_edit_with_a_nul_in_the_description_is_refused(target):
    with target.client("directory") as client:
        answer = client.patch(f"/businesses/{target.business_id}", json={"description": "gut\x00"}, headers=OPERATOR)
        refused(answer, 422, "description")


def test_a_description_keeps_its_lines_and_is_stored_in_nfc(target):
    with target.client("directory") as client:
        description = "Kaffee\r\nund Kuchen\tfrisch: Cafe\u0301"
        answer = client.patch(f"/businesses/{target.business_id}", json={"description": description}, headers=OPERATOR)
        assert answer.status_code == 200, answer.text
        assert answer.json()["description"] == "Kaffee\nund Kuchen\tfrisch: Café"


# --- item 7: sizes ----------------------------------------------------------------------------------


def test_a_five_megabyte_filter_value_is_refused_and_not_stored(target):
    body = {"email": "anna@example.org", "topics": ["events.*"], "filters": {"series": "x" * 5_000_000}}
    with target.client("notifications") as client:
        refused(client.post("/subscriptions", json=body), 413, "body")
        listed = client.get("/subscriptions", headers=OPERATOR, params={"limit": 1000}).json()
        assert not [item for item in listed if "x" * 1000 in json.dumps(item["filters"])]


def test_a_filter_value_longer_than_a_line_is_refused_naming_the_filters(target):
    body = {"email": "anna@example.org", "topics": ["events.*"], "filters": {"series": "x" * 201}}
    with target.client("notifications") as client:
        refused(client.post("/subscriptions", json=body), 422, "filters")


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(target):
    """Only the head is sent: the 413 comes back at once, so nothing of the body was waited for."""
    port = httpx.URL(target.system.url("events")).port
    head = (
        f"POST /events/{target.event_id}/registrations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head.encode())
        received = b""
        while b"}" not in received.partition(b"\r\n\r\n")[2]:  # the head and the whole JSON body
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    answer = received.decode("utf-8", "replace")
    status_line, _, rest = answer.partition("\r\n")
    assert " 413 " in status_line, answer
    assert "application/json" in rest and '"field":"body"' in rest, answer


def test_a_chunked_body_is_counted_while_it_is_read_and_refused_past_the_limit(target):
    def chunks() -> Iterator[bytes]:
        yield b'{"name":"Anna","email":"anna@example.org","consent":true,"organisation":"'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    with target.client("events") as client:
        answer = client.post(f"/events/{target.event_id}/registrations", content=chunks(), headers=JSON)
        refused(answer, 413, "body")


def test_a_body_just_under_the_limit_is_read_and_judged_on_its_fields(target):
    body = {"name": "Anna", "email": "anna@example.org", "consent": True, "organisation": "x" * (LIMIT - 200)}
    with target.client("events") as client:
        refused(client.post(f"/events/{target.event_id}/registrations", json=body), 422, "organisation")


# --- the last resort --------------------------------------------------------------------------------


async def test_an_unexpected_exception_becomes_a_json_500_logged_once(caplog):
    app = FastAPI()
    install_error_handlers(app)
    install_guard(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the database went away")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with caplog.at_level(logging.ERROR):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answer = await client.get("/boom")
    assert answer.status_code == 500
    assert answer.json() == {"message": "internal error; it has been logged"}
    logged = [record for record in caplog.records if record.exc_info]
    assert len(logged) == 1 and "the database went away" in str(logged[0].exc_info[1])


async def test_a_request_that_finds_no_free_database_connection_gets_a_503_to_send_again(tmp_path):
    """A rush that holds every pooled connection longer than the pool's timeout: the next request gets
    no connection, so it saved nothing; it is told so with a 503 and Retry-After, not a 500."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import AsyncAdaptedQueuePool

    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'busy.sqlite3'}",
        poolclass=AsyncAdaptedQueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.2,
    )
    from shared.config import Settings

    app = FastAPI()
    app.state.settings = Settings(data_dir=tmp_path)  # what the error page reads (language, site)
    install_error_handlers(app)
    install_guard(app)

    @app.post("/registrations")
    async def register() -> dict[str, str]:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return {"saved": "yes"}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        async with engine.connect():  # the rush holds the pool's only connection
            busy = await client.post("/registrations")
            page = await client.post("/registrations", headers={"Accept": "text/html"})
        assert (await client.post("/registrations")).json() == {"saved": "yes"}
    await engine.dispose()
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    assert "nothing was saved" in busy.json()["message"]
    assert page.status_code == 503 and "Es wurde nichts gespeichert" in page.text
