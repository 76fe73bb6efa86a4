"""The events service's one settings object: the shared options and its own (EVENTS_…)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from shared.config import ServiceSettings, scoped
from shared.ratelimit import MAX_WINDOW_S, Limit


class EventsSettings(ServiceSettings):
    model_config = scoped("events")

    service: Literal["events"] = "events"

    # Personal data of registrations is erased this many days after an event ended.
    erase_after_days: int = Field(30, ge=0)
    # The list at the door may be corrected until this long after an event's end; then its attendance
    # summary (events.event.attendance_closed) goes out.
    attendance_closes_after_h: float = Field(24.0, ge=0)
    # Events that ask for reconfirmation release unconfirmed places this long before their start (less
    # than the two days before, the earliest the question goes out).
    reconfirm_deadline_h: float = Field(24.0, gt=0, lt=48)
    # How often the jobs (reminders, reconfirmation, attendance, erasure) look for due work.
    job_interval_s: float = Field(300.0, gt=0)
    # Registrations per client address and window, across all instances (shared/ratelimit/): each
    # takes a place and sends a mail, so one client must not take a hall or mail the town.
    registration_limit: int = Field(20, ge=1)
    registration_window_s: float = Field(3600.0, gt=0, le=MAX_WINDOW_S)

    @property
    def attendance_closes_after(self) -> timedelta:
        return timedelta(hours=self.attendance_closes_after_h)

    @property
    def reconfirm_deadline(self) -> timedelta:
        return timedelta(hours=self.reconfirm_deadline_h)

    @property
    def registration_rate(self) -> Limit:
        return Limit("events-registrations-per-client", self.registration_limit, self.registration_window_s)
