"""Operations without leaks, over real HTTP against service processes: the security headers on every
answer (a 500 included, and the live page still working under its policy in Chromium), /metrics and
the detailed readiness only on the internal port, every 5xx counted by its route template, and
hotspots without their access point's serial and MAC address for anyone but the operator."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from hallobot.ports import free_port
from shared.config import SERVICES
from shared.service.middleware import DOCS_POLICY, PAGE_POLICY
from tests.support.browser import launch
from tests.support.nats import running_nats
from tests.support.services import ROOT, ServiceProcess, started, wait_until_ready

OPERATOR = "ops-test-operator-token-0123456789"
OPERATOR_HEADERS = {"Authorization": f"Bearer {OPERATOR}"}
HOTSPOT = {
    "site_name": "Kirchplatz",
    "host_business": "Café am Kirchplatz",
    "address": "Kirchplatz 1",
    "latitude": 51.52,
    "longitude": 6.92,
    "ap_model": "U6 Mesh",
    "ap_serial": "SERIAL-4711",
    "ap_mac": "74:83:C2:00:47:11",
    "placement": "outdoor",
}


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory):
    yield from running_nats(tmp_path_factory)


def _env(nats_server, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "NATS_URL": nats_server.url,
        "HALLOBOT_DATA_DIR": str(tmp_path / "var"),
        "HALLOBOT_OPERATOR_TOKEN": OPERATOR,
        "HALLOBOT_INTERNAL_PORT": str(free_port()),
        **extra,
    }


@pytest.fixture(scope="module")
def wifi(nats_server, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("wifi")
    service = started("wifi", _env(nats_server, tmp_path), tmp_path)
    yield service
    service.kill()


def internal_url(service: ServiceProcess) -> str:
    return f"http://127.0.0.1:{service.env['HALLOBOT_INTERNAL_PORT']}"


def samples(metrics_text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Labels -> value of every sample called `name` in a Prometheus exposition."""
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == name
    }


def assert_security_headers(response: httpx.Response, policy: str = PAGE_POLICY) -> None:
    headers = response.headers
    assert headers["content-security-policy"] == policy, response.request.url
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in headers["permissions-policy"]


def test_every_answer_carries_the_security_headers_and_hsts_only_in_production(wifi, nats_server, tmp_path):
    with httpx.Client(base_url=wifi.url) as client:
        answers = [
            client.get("/hotspots"),
            client.get("/no-such-page"),
            client.post("/hotspots", json=HOTSPOT),  # no credential: 401
            client.post("/hotspots", json={**HOTSPOT, "latitude": 91}, headers=OPERATOR_HEADERS),  # 422
            client.get("/readyz"),
            client.get("/openapi.json"),
        ]
        assert [answer.status_code for answer in answers] == [200, 404, 401, 422, 200, 200]
        for answer in answers:
            assert_security_headers(answer)
            assert "strict-transport-security" not in answer.headers, "HSTS only in production"
        # Swagger UI comes from jsDelivr and starts with an inline script: its own, wider policy.
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert_security_headers(docs, DOCS_POLICY)

    production = started(
        "wifi",
        _env(nats_server, tmp_path, HALLOBOT_ENV="production", HALLOBOT_SITE_SECRET="k7Qe2vX9pL4mZ8rT1wY6bN3cF5hJ0dSa"),
        tmp_path,
    )  # its operator token is a real secret
    try:
        answer = httpx.get(f"{production.url}/hotspots")
        assert_security_headers(answer)
        assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
    finally:
        production.kill()


def test_the_public_port_serves_no_metrics_and_says_only_whether_it_is_ready(wifi):
    public = httpx.get(f"{wifi.url}/readyz")
    assert public.status_code == 200 and public.json() == {"status": "ready"}
    assert httpx.get(f"{wifi.url}/metrics").status_code == 404
    assert "/metrics" not in httpx.get(f"{wifi.url}/openapi.json").json()["paths"]

    internal = httpx.get(f"{internal_url(wifi)}/readyz")
    assert internal.json() == {"status": "ready", "broker": "ok", "database": "ok"}
    metrics = httpx.get(f"{internal_url(wifi)}/metrics")
    assert metrics.status_code == 200 and "hallobot_outbox_pending" in metrics.text
    # the internal listener is on loopback only (HALLOBOT_INTERNAL_HOST's default)
    assert "127.0.0.1:" + wifi.env["HALLOBOT_INTERNAL_PORT"] in _listening_sockets()


def _listening_sockets() -> set[str]:
    """host:port of every listening IPv4 TCP socket (Linux /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A":  # LISTEN
            address, port = local.split(":")
            octets = [str(int(address[i : i + 2], 16)) for i in range(6, -1, -2)]
            found.add(f"{'.'.join(octets)}:{int(port, 16)}")
    return found


FAILING_SERVICE = """
import sys, uvicorn
from services.wifi.app import create_app
from services.wifi.config import WifiSettings

app = create_app(WifiSettings())

async def broken(n: int) -> dict:
    raise RuntimeError("a bug in a route")

app.add_api_route("/broken/{n}", broken)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None)
"""


def test_a_route_that_fails_is_counted_as_a_5xx_of_its_route_template(nats_server, tmp_path):
    port, env = free_port(), _env(nats_server, tmp_path)
    log_path = tmp_path / "broken.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", FAILING_SERVICE, str(port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url, internal = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{env['HALLOBOT_INTERNAL_PORT']}"
        wait_until_ready("wifi", process, url, log_path)
        for n in (1, 2, 3):
            answer = httpx.get(f"{url}/broken/{n}")
            assert answer.status_code == 500
            assert_security_headers(answer)  # also on the answer of the last-resort error handler
        assert httpx.get(f"{url}/hotspots").status_code == 200
        assert httpx.get(f"{url}/hotspots/no-such-id").status_code == 404

        text = httpx.get(f"{internal}/metrics").text
        requests = samples(text, "hallobot_http_requests_total")
        key = (("method", "GET"), ("route", "/broken/{n}"), ("service", "wifi"), ("status", "5xx"))
        assert requests[key] == 3
        assert requests[(("method", "GET"), ("route", "/hotspots"), ("service", "wifi"), ("status", "2xx"))] == 1
        found = (("method", "GET"), ("route", "/hotspots/{hotspot_id}"), ("service", "wifi"), ("status", "4xx"))
        assert requests[found] == 1
        assert not [labels for labels in requests if "/broken/1" in dict(labels)["route"]], "raw paths are no labels"
        durations = samples(text, "hallobot_http_request_seconds_count")
        assert durations[(("method", "GET"), ("route", "/broken/{n}"), ("service", "wifi"))] == 3
    finally:
        process.kill()
        process.wait()


def test_the_public_sees_hotspots_without_serial_and_mac_and_the_operator_sees_them(wifi):
    with httpx.Client(base_url=wifi.url) as client:
        created = client.post("/hotspots", json=HOTSPOT, headers=OPERATOR_HEADERS)
        assert created.status_code == 201, created.text
        hotspot = created.json()
        assert (hotspot["ap_serial"], hotspot["ap_mac"]) == (HOTSPOT["ap_serial"], HOTSPOT["ap_mac"])
        host_headers = {"Authorization": f"Bearer {hotspot['host_token']}"}

        for headers in ({}, host_headers, {"Authorization": "Bearer wrong"}):
            listed = next(h for h in client.get("/hotspots", headers=headers).json() if h["id"] == hotspot["id"])
            one = client.get(f"/hotspots/{hotspot['id']}", headers=headers).json()
            for view in (listed, one):
                assert "ap_serial" not in view and "ap_mac" not in view, headers
                assert view["site_name"] == "Kirchplatz" and view["ap_model"] == "U6 Mesh"
            assert HOTSPOT["ap_serial"] not in client.get("/hotspots", headers=headers).text

        listed = next(h for h in client.get("/hotspots", headers=OPERATOR_HEADERS).json() if h["id"] == hotspot["id"])
        one = client.get(f"/hotspots/{hotspot['id']}", headers=OPERATOR_HEADERS).json()
        for view in (listed, one):
            assert (view["ap_serial"], view["ap_mac"]) == (HOTSPOT["ap_serial"], HOTSPOT["ap_mac"])


async def test_the_live_page_works_under_its_content_security_policy(nats_server, tmp_path):
    from playwright.async_api import async_playwright, expect

    env = _env(nats_server, tmp_path, NOTIFICATIONS_SECRET_KEY="ops-test-secret-key-0123456789")
    notifications = started("notifications", env, tmp_path)
    try:
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            try:
                page = await browser.new_page()
                console: list[str] = []
                page.on("console", lambda message: console.append(message.text))
                answer = await page.goto(notifications.url + "/live")
                assert answer is not None
                assert (await answer.all_headers())["content-security-policy"] == PAGE_POLICY
                # the script ran (it fetched the board and opened the feed) and the style applies
                await expect(page.locator("#verbindung")).to_have_attribute("data-state", "live")
                color = await page.evaluate("getComputedStyle(document.getElementById('verbindung')).color")
                assert color == "rgb(102, 102, 102)"
                assert not [text for text in console if "Content Security Policy" in text], console
                # and the policy is in force, not just sent: an injected inline script does not run
                injected = await page.evaluate(
                    """() => {
                        const script = document.createElement("script");
                        script.textContent = "window.injected = true";
                        document.body.appendChild(script);
                        return window.injected === true;
                    }"""
                )
                assert injected is False
                for _ in range(50):  # the browser reports the refusal on the console
                    if any("Content Security Policy" in text for text in console):
                        break
                    await asyncio.sleep(0.1)
                assert any("Content Security Policy" in text for text in console), console
            finally:
                await browser.close()
    finally:
        notifications.kill()


def test_compose_and_kubernetes_keep_metrics_and_detailed_readiness_off_the_public_port():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in SERVICES:
        service = compose["services"][name]
        published = {str(port).rsplit(":", 1)[-1] for port in service.get("ports", [])}
        assert "9000" not in published, f"{name} publishes its internal port"
    shared_env = compose["x-hallobot-environment"]
    assert shared_env["HALLOBOT_INTERNAL_PORT"] == "9000"

    deployments = [
        doc
        for doc in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "services.yaml").read_text())
        if doc and doc["kind"] == "Deployment"
    ]
    services = [
        doc
        for doc in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "services.yaml").read_text())
        if doc and doc["kind"] == "Service"
    ]
    assert len(deployments) == len(SERVICES)
    for deployment in deployments:
        template = deployment["spec"]["template"]
        [container] = template["spec"]["containers"]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        env = {item["name"]: item.get("value") for item in container["env"]}
        assert env["HALLOBOT_INTERNAL_PORT"] == str(ports["internal"]) == "9000"
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "internal"}
        assert template["metadata"]["annotations"]["prometheus.io/port"] == "9000"
    for service in services:
        assert [port["targetPort"] for port in service["spec"]["ports"]] == ["http"], "only the API is a Service"
