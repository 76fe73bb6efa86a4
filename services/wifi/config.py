"""The wifi service's one settings object: the shared options and its own (WIFI_…)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from shared.config import ServiceSettings, scoped
from shared.ratelimit import MAX_WINDOW_S, Limit


class WifiSettings(ServiceSettings):
    """The shared options and the tuning of the status machine (WIFI_…). Created once in app.py; the use
    cases read the status machine's rules from it directly."""

    model_config = scoped("wifi")

    service: Literal["wifi"] = "wifi"
    heartbeat_timeout_s: float = Field(180.0, gt=0, description="silence after which a hotspot is down")

    confirm_reports: int = Field(3, ge=1, description="reports in a row needed to switch up <-> degraded")
    min_backhaul_mbps: float = Field(30.0, ge=0, description="Wifi4EU asks for at least 30 Mbit/s")
    check_interval_s: float = Field(5.0, gt=0, description="how often silence and windows are checked")
    incident_min_sites: int = Field(2, ge=1, description="fewer sites failing together are no shared incident")
    incident_window_s: float = Field(
        300.0, gt=0, description="sites going down within this long of the first are one incident (one mail)"
    )
    max_clock_skew_s: float = Field(300.0, ge=0, description="reports further in the future are refused")
    max_report_age_s: float = Field(
        7 * 86_400.0, gt=0, description="older reports are refused (never less than the heartbeat timeout)"
    )
    # counted in the hotspot's row (HotspotState.take_reports): a fixed window from its first report
    report_limit: int = Field(600, ge=1, description="reports one hotspot may deliver per window (HTTP and NATS)")
    report_window_s: float = Field(3600.0, gt=0, le=MAX_WINDOW_S)
    host_login_limit: int = Field(20, ge=1, description="sign-ins at the host page (/wlan/standort) per client address")
    host_login_window_s: float = Field(3600.0, gt=0, le=MAX_WINDOW_S)
    host_contact: str = Field(
        "", description="whom a host calls at the office when the site is down (name, telephone), on the host page"
    )

    @property
    def heartbeat_timeout(self) -> timedelta:
        return timedelta(seconds=self.heartbeat_timeout_s)

    @property
    def incident_window(self) -> timedelta:
        return timedelta(seconds=self.incident_window_s)

    @property
    def max_clock_skew(self) -> timedelta:
        return timedelta(seconds=self.max_clock_skew_s)

    @property
    def max_report_age(self) -> timedelta:
        """A report young enough to drive the status machine is never too old to keep."""
        return timedelta(seconds=max(self.max_report_age_s, self.heartbeat_timeout_s))

    @property
    def host_login_rate(self) -> Limit:
        return Limit("wifi-host-logins-per-client", self.host_login_limit, self.host_login_window_s)

    @property
    def report_rate(self) -> Limit:
        return Limit("wifi-reports-per-hotspot", self.report_limit, self.report_window_s)
