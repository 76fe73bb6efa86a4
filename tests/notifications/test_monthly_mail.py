"""The hotspots' monthly report (`wifi.hotspot.monthly_report`, version 2) reaches the office by mail
without a subscription, with each site's figures: availability, downtime, outages and maintenance.
A real notifications process, nats-server and SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from services.notifications.sentences import details
from shared.catalog import HotspotAvailability, HotspotMonthlyReport
from tests.notifications.conftest import OFFICE, body_text, publish, until

HOUR = 3600
MARCH_S = 743 * HOUR  # summer time began on 30 March 2025


def monthly_report() -> HotspotMonthlyReport:
    counted = MARCH_S - 2 * HOUR
    return HotspotMonthlyReport(
        month="2025-03",
        hotspots=[
            HotspotAvailability(
                hotspot_id="h-kirchplatz",
                site_name="Kirchplatz",
                uptime_percent=round(100 * (counted - HOUR) / counted, 4),
                up_s=counted - HOUR,
                degraded_s=0,
                down_s=HOUR,
                maintenance_s=2 * HOUR,
                not_monitored_s=0,
                downtime_min=60,
                maintenance_min=120,
                incidents=1,
            ),
            HotspotAvailability(
                hotspot_id="h-zob",
                site_name="ZOB Berliner Platz",
                uptime_percent=None,
                up_s=0,
                degraded_s=0,
                down_s=0,
                maintenance_s=0,
                not_monitored_s=MARCH_S,
                downtime_min=0,
                maintenance_min=0,
                incidents=0,
            ),
        ],
    )


@pytest.fixture
def nats_server(module_nats):
    return module_nats


@pytest.fixture
def smtp(module_smtp):
    return module_smtp


@pytest.fixture
def notifications(module_notifications):
    return module_notifications


def test_the_figures_are_told_per_site_in_german_and_english_and_a_version_1_report_gives_the_availability():
    data = monthly_report().model_dump(mode="json")
    assert details("wifi.hotspot.monthly_report", data, "de") == [
        "Kirchplatz: 99,865 % verfügbar, 60 Min. Ausfallzeit (Ausfälle: 1), 120 Min. Wartung",
        "ZOB Berliner Platz: nicht überwacht",
    ]
    assert details("wifi.hotspot.monthly_report", data, "en")[0] == (
        "Kirchplatz: 99.865% available, 60 min downtime (outages: 1), 120 min maintenance"
    )
    version_1 = {**data["hotspots"][0], "downtime_min": None, "incidents": None, "maintenance_min": None}
    assert details("wifi.hotspot.monthly_report", {"hotspots": [version_1]}, "en") == ["Kirchplatz: 99.865% available"]
    assert details("wifi.hotspot.status_changed", data, "de") == []


async def test_the_office_gets_the_monthly_report_with_every_sites_figures(notifications, smtp, nc):
    await publish(nc, monthly_report())
    assert await until(lambda: [m for m in smtp.to(OFFICE) if "Monatsbericht" in m["Subject"]])
    (mail,) = [m for m in smtp.to(OFFICE) if "Monatsbericht" in m["Subject"]]
    assert mail["Subject"] == "[Amt] Der Monatsbericht der WLAN-Hotspots für März 2025 liegt vor."
    text = body_text(mail)
    assert text.startswith(
        "Der Monatsbericht der WLAN-Hotspots für März 2025 liegt vor.\n"
        "– Kirchplatz: 99,865 % verfügbar, 60 Min. Ausfallzeit (Ausfälle: 1), 120 Min. Wartung\n"
        "– ZOB Berliner Platz: nicht überwacht\n\nZeit: "
    ), text
    html = next(part for part in mail.walk() if part.get_content_type() == "text/html")
    assert "<li>Kirchplatz: 99,865 % verfügbar" in html.get_payload(decode=True).decode()
