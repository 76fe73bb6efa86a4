"""The wifi service's own settings (environment, prefix WIFI_), beside the shared ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WifiSettings(BaseSettings):
    """Tuning of the status machine (environment, prefix WIFI_); the timeout itself is the shared
    WIFI_HEARTBEAT_TIMEOUT_S."""

    model_config = SettingsConfigDict(env_prefix="WIFI_", extra="ignore")

    confirm_reports: int = Field(3, ge=1, description="reports in a row needed to switch up <-> degraded")
    min_backhaul_mbps: float = Field(30.0, ge=0, description="Wifi4EU asks for at least 30 Mbit/s")
    check_interval_s: float = Field(5.0, gt=0, description="how often silence and windows are checked")
    incident_min_sites: int = Field(2, ge=1, description="fewer silent hotspots are no shared incident")
    max_clock_skew_s: float = Field(300.0, ge=0, description="reports further in the future are refused")
