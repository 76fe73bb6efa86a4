"""The directory service's one settings object: the shared options and its own (DIRECTORY_…)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.directory.fairtrade import DEFAULT_TARGETS
from shared.config import ServiceSettings, scoped


class DirectorySettings(ServiceSettings):
    model_config = scoped("directory")

    service: Literal["directory"] = "directory"

    # Where the owner edits the profile; the token travels in the fragment so it stays out of server logs.
    edit_url: str = "https://hallo-bot.de/eintrag/bearbeiten#id={id}&token={token}"
    public_url: str = "https://hallo-bot.de/verzeichnis/{id}"
    # Anonymous self-registrations per client address and window (in process, per instance).
    registration_limit: int = Field(5, ge=1)
    registration_window_s: float = Field(3600.0, gt=0)
    # Behind the city's reverse proxy the client address is the last X-Forwarded-For entry.
    trust_forwarded_for: bool = False
    stale_after_months: int = Field(6, ge=1)
    job_interval_s: float = Field(3600.0, gt=0)
    # (population, shops, gastronomy) points of the Fairtrade-Town targets, interpolated in between.
    fairtrade_targets: list[tuple[int, int, int]] = Field(default_factory=lambda: list(DEFAULT_TARGETS), min_length=1)
    fairtrade_press_per_year: int = Field(4, ge=1)
