"""Request and response models of the wifi service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.inputs import LINE, NUMBER, AwareInstant, Id, Latitude, Longitude

Status = Literal["up", "degraded", "down", "maintenance"]
MONTH = r"^(20|21)\d{2}-(0[1-9]|1[0-2])$"  # 2000-2199: a month the network can have run in
MAC = r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$"
SiteName = Annotated[str, Field(min_length=1, max_length=200), LINE]
Address = Annotated[str, Field(min_length=1, max_length=300), LINE]
Model = Annotated[str, Field(min_length=1, max_length=100), LINE]
Mac = Annotated[str, Field(pattern=MAC)]
Interval = Annotated[int, Field(ge=1, le=3600)]
Note = Annotated[str, Field(max_length=500), LINE]


class HotspotBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site_name: SiteName = Field(examples=["Berliner Platz/ZOB"])
    host_business: SiteName
    address: Address
    latitude: Latitude
    longitude: Longitude
    ap_model: Model
    ap_serial: Model
    ap_mac: Mac = Field(examples=["00:11:22:33:44:55"])
    placement: Literal["indoor", "outdoor"]
    report_interval_s: Interval = 60


class HotspotCreate(HotspotBase):
    pass


class HotspotUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site_name: SiteName | None = None
    host_business: SiteName | None = None
    address: Address | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    ap_model: Model | None = None
    ap_serial: Model | None = None
    ap_mac: Mac | None = None
    placement: Literal["indoor", "outdoor"] | None = None
    report_interval_s: Interval | None = None


class HotspotPublic(BaseModel):
    """A hotspot as everyone sees it: where it is and how it is, not the access point's serial
    number and MAC address (those identify the device; the operator sees them, `HotspotDetail`)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    site_name: str
    host_business: str
    address: str
    latitude: float
    longitude: float
    ap_model: str
    placement: Literal["indoor", "outdoor"]
    report_interval_s: int
    created_at: datetime
    status: Status | None = Field(description="null until the first report or the first silence")
    status_since: datetime | None
    status_reason: str
    last_report_at: datetime | None


class HotspotDetail(HotspotPublic):
    """A hotspot as the operator sees it: with the access point's serial number and MAC address."""

    ap_serial: str
    ap_mac: str


class HotspotCreated(HotspotDetail):
    host_token: str = Field(description="the host's credential; shown only now, stored hashed")


class HostToken(BaseModel):
    hotspot_id: str
    host_token: str


class ReportIn(BaseModel):
    """One host report (HTTP body, or JSON on `hallobot.wifi.reports.<hotspot id>`)."""

    model_config = ConfigDict(extra="forbid")

    timestamp: AwareInstant
    uplink_ok: bool
    clients: int = Field(ge=0, le=10_000)
    backhaul_mbps: Annotated[float, Field(allow_inf_nan=False, ge=0, le=100_000), NUMBER] | None = None
    notes: Note | None = None
    hotspot_id: Id | None = Field(None, description="optional; must match the subject/path when given")


class ReportAccepted(BaseModel):
    hotspot_id: str
    duplicate: bool
    stale: bool = Field(
        description="older than the newest report or than the heartbeat timeout: kept, "
        "but it does not change the status"
    )
    status: Status | None


class MaintenanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareInstant
    ends_at: AwareInstant
    note: Note = ""

    @model_validator(mode="after")
    def _ends_after_start(self) -> MaintenanceCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class MaintenancePublic(BaseModel):
    id: str
    hotspot_id: str
    starts_at: datetime
    ends_at: datetime
    note: str


class Uptime(BaseModel):
    start: datetime
    end: datetime
    uptime_percent: float | None = Field(
        description="(up + degraded) / (up + degraded + down); null when nothing was monitored"
    )
    up_s: float
    degraded_s: float
    down_s: float
    maintenance_s: float
    not_monitored_s: float


class DayUptime(Uptime):
    day: str


class MonthUptime(BaseModel):
    hotspot_id: str
    site_name: str
    month: str
    total: Uptime
    days: list[DayUptime]


class IncidentPublic(BaseModel):
    id: str
    opened_at: datetime
    resolved_at: datetime | None
    hotspot_ids: list[str]
    reason: str
