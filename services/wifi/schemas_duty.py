"""Request and response models of the Wifi4EU duty's API (api_duty.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.inputs import Day


class DutyStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Day | None = Field(
        description="the first day of the three-year obligation period (Europe/Berlin); null: the day the "
        "hotspot was registered",
        examples=["2025-03-01"],
    )


class DutyFigures(BaseModel):
    start: datetime
    end: datetime
    availability_percent: float | None = Field(
        description="(up + degraded) / (up + degraded + down); maintenance excluded; null when nothing was monitored"
    )
    downtime_min: float
    downtime_s: float
    incidents: int = Field(description="down periods that touch the span (one over a month's end counts in both)")
    maintenance_min: float = Field(description="time in maintenance windows: not downtime, shown apart")
    maintenance_s: float
    not_monitored_s: float = Field(description="before the first status, or still to come")


class DutyMonth(DutyFigures):
    month: str = Field(description="a calendar month in Europe/Berlin, e.g. 2025-03")
    partial: bool = Field(description="the obligation period covers only part of the month")


class SiteDuty(BaseModel):
    hotspot_id: str
    site_name: str
    start: date
    end: date = Field(description="the day after the obligation period: start + 3 years")
    start_set: bool = Field(description="the office set the start; else it is the day of registration")
    months: list[DutyMonth]
    total: DutyFigures
