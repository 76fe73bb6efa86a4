"""The front door (deploy/Caddyfile, real Caddy) routes each path to the service that owns it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.system import OPERATOR


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/directory/healthz", "directory"),
        ("/api/events/healthz", "events"),
        ("/api/wifi/healthz", "wifi"),
        ("/api/notifications/healthz", "notifications"),
    ],
)
def test_each_api_is_reached_under_its_prefix_unchanged_below_it(site, path, service):
    answer = httpx.get(site.url + path, timeout=10)
    assert answer.status_code == 200, answer.text
    direct = httpx.get(site.system.url(service) + "/openapi.json", timeout=10).json()
    through = httpx.get(site.url + f"/api/{service}/openapi.json", timeout=10).json()
    assert through["info"]["title"] == direct["info"]["title"] == f"HalloBot {service}"


def test_an_api_write_through_the_front_door_lands_in_its_service(site):
    body = {"name": "Front door test", "category": "einzelhandel"}
    answer = httpx.post(site.url + "/api/directory/businesses", json=body, headers=OPERATOR, timeout=10)
    assert answer.status_code in (200, 201), answer.text
    found = httpx.get(site.system.url("directory") + f"/businesses/{answer.json()['id']}", headers=OPERATOR, timeout=10)
    assert found.status_code == 200


def test_the_style_sheet_and_unknown_pages_are_answered_through_the_front_door(site):
    assert httpx.get(site.url + "/assets/site.css", timeout=10).headers["content-type"].startswith("text/css")
    missing = httpx.get(site.url + "/gibt-es-nicht", headers={"accept": "text/html"}, timeout=10)
    assert missing.status_code == 404 and "Seite nicht gefunden" in missing.text


def test_the_front_door_gives_each_request_its_own_id_and_the_service_answers_with_it(site):
    """deploy/Caddyfile sets X-Request-ID (a new UUID, a client's own replaced); the service takes it
    for its log lines and answers with it."""
    first = httpx.get(site.url + "/api/events/healthz", headers={"X-Request-ID": "chosen-by-the-client"}, timeout=10)
    second = httpx.get(site.url + "/api/events/healthz", timeout=10)
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(str(uuid.UUID(request_id)) == request_id for request_id in ids) and ids[0] != ids[1]
