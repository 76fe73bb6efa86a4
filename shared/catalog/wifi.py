"""Events of the wifi service: hotspots, their status, incidents and the monthly availability report."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.catalog.base import EventData

HotspotStatus = Literal["up", "degraded", "down", "maintenance"]


class HotspotRegistered(EventData):
    TYPE = "wifi.hotspot.registered"
    SUBJECT_FIELD = "hotspot_id"
    SOURCE = "/hallobot/wifi"
    hotspot_id: str
    site_name: str


class HotspotStatusChanged(EventData):
    TYPE = "wifi.hotspot.status_changed"
    SUBJECT_FIELD = "hotspot_id"
    SOURCE = "/hallobot/wifi"
    hotspot_id: str
    previous: HotspotStatus | None
    status: HotspotStatus
    reason: str = ""
    reason_code: str | None = Field(
        None,
        description="why, as a stable code to say it in one language: report_ok, uplink_failing, backhaul_slow, "
        "silent, maintenance, maintenance_window, maintenance_over (or other); `reason` is German / English text. "
        "Optional: events written before it existed lack it.",
    )
    since: datetime
    site_name: str | None = Field(
        None, description="the site's name when the status changed. Optional: events written before it existed lack it."
    )


SITE_NAMES = "hotspot id → the site's name at the time. Optional: events written before it existed lack it."


class HotspotRenamed(EventData):
    """An operator gave a site a new name (API PATCH or the console): mails and pages name it so from now on."""

    TYPE = "wifi.hotspot.renamed"
    SUBJECT_FIELD = "hotspot_id"
    SOURCE = "/hallobot/wifi"
    hotspot_id: str
    site_name: str
    previous_site_name: str


class HotspotIncidentOpened(EventData):
    """Several sites went silent within the incident window (e.g. a shared uplink): one alarm, not six."""

    TYPE = "wifi.hotspot.incident_opened"
    SUBJECT_FIELD = "incident_id"
    SOURCE = "/hallobot/wifi"
    incident_id: str
    hotspot_ids: list[str]
    reason: str
    reason_code: str | None = Field(
        None,
        description="sites_silent_together (all_sites_silent before the incident window): the reason as a code. "
        "Optional: events written before it existed lack it.",
    )
    since: datetime
    site_names: dict[str, str] | None = Field(None, description=SITE_NAMES)


class HotspotIncidentResolved(EventData):
    TYPE = "wifi.hotspot.incident_resolved"
    SUBJECT_FIELD = "incident_id"
    SOURCE = "/hallobot/wifi"
    incident_id: str
    opened_at: datetime
    resolved_at: datetime
    hotspot_ids: list[str] | None = Field(
        None, description="the sites of the incident. Optional: events written before it existed lack it."
    )
    site_names: dict[str, str] | None = Field(None, description=SITE_NAMES)


class HotspotOutageAnnounced(EventData):
    """One site is down on its own: it stayed down for the incident window and no other site failed with it.
    (Sites failing together are one `incident_opened` instead.) What the office is told of one site."""

    TYPE = "wifi.hotspot.outage_announced"
    SUBJECT_FIELD = "hotspot_id"
    SOURCE = "/hallobot/wifi"
    outage_id: str
    hotspot_id: str
    site_name: str
    since: datetime


class HotspotRecoveryAnnounced(EventData):
    """A site whose outage was announced (`outage_announced`) is back."""

    TYPE = "wifi.hotspot.recovery_announced"
    SUBJECT_FIELD = "hotspot_id"
    SOURCE = "/hallobot/wifi"
    outage_id: str
    hotspot_id: str
    site_name: str
    since: datetime
    recovered_at: datetime


class HotspotAvailability(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hotspot_id: str
    site_name: str
    uptime_percent: float | None
    up_s: float
    degraded_s: float
    down_s: float
    maintenance_s: float
    not_monitored_s: float
    # version 2: the Wifi4EU duty's figures (services/wifi/domain_duty.py); null in version 1 events
    downtime_min: float | None = Field(None, description="time down in minutes (maintenance not counted)")
    maintenance_min: float | None = Field(None, description="time in maintenance windows in minutes")
    incidents: int | None = Field(None, description="down periods in the month (one over its end counts in both)")


class HotspotMonthlyReport(EventData):
    """Availability of every hotspot in one calendar month (Europe/Berlin), for the Wifi4EU duty. Version 2
    adds each site's downtime and maintenance in minutes and its number of outages (`incidents`)."""

    TYPE = "wifi.hotspot.monthly_report"
    VERSION = 2
    SUBJECT_FIELD = "month"
    SOURCE = "/hallobot/wifi"
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    hotspots: list[HotspotAvailability]
