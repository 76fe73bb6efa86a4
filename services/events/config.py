"""Settings of the events service beyond the shared ones (EVENTS_… environment variables)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EventsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVENTS_", extra="ignore")

    # Base of the cancel links in mails (the public address of this service or its proxy).
    public_url: str = "http://127.0.0.1:8002"
    # Personal data of registrations is erased this many days after an event ended.
    erase_after_days: int = Field(30, ge=0)
    # How often the reminder and erasure jobs look for due work.
    job_interval_s: float = Field(300.0, gt=0)
