"""The events service's one settings object: the shared options and its own (EVENTS_…)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.config import ServiceSettings, scoped


class EventsSettings(ServiceSettings):
    model_config = scoped("events")

    service: Literal["events"] = "events"

    # Base of the cancel links in mails (the public address of this service or its proxy).
    public_url: str = "http://127.0.0.1:8002"
    # Personal data of registrations is erased this many days after an event ended.
    erase_after_days: int = Field(30, ge=0)
    # How often the reminder and erasure jobs look for due work.
    job_interval_s: float = Field(300.0, gt=0)
