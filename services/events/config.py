"""The events service's one settings object: the shared options and its own (EVENTS_…)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.config import ServiceSettings, scoped
from shared.ratelimit import MAX_WINDOW_S, Limit


class EventsSettings(ServiceSettings):
    model_config = scoped("events")

    service: Literal["events"] = "events"

    # Personal data of registrations is erased this many days after an event ended.
    erase_after_days: int = Field(30, ge=0)
    # How often the reminder and erasure jobs look for due work.
    job_interval_s: float = Field(300.0, gt=0)
    # Registrations per client address and window, across all instances (shared/ratelimit/): each
    # takes a place and sends a mail, so one client must not take a hall or mail the town.
    registration_limit: int = Field(20, ge=1)
    registration_window_s: float = Field(3600.0, gt=0, le=MAX_WINDOW_S)

    @property
    def registration_rate(self) -> Limit:
        return Limit("events-registrations-per-client", self.registration_limit, self.registration_window_s)
