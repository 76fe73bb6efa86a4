"""The directory service's one settings object: the shared options and its own (DIRECTORY_…)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from services.directory.fairtrade import DEFAULT_TARGETS
from shared.config import ServiceSettings, scoped
from shared.ratelimit import MAX_WINDOW_S, Limit


class DirectorySettings(ServiceSettings):
    model_config = scoped("directory")

    service: Literal["directory"] = "directory"

    # The owner's edit link ({id}, {token}); unset: the edit page behind the front door (HALLOBOT_SITE_URL),
    # which exchanges the token once for a session cookie and redirects to a clean address
    # (pages_owner.py), so the token stays in no history. No access log records query strings.
    edit_url: str = ""
    # The public profile's address (with `{id}`); unset: its page behind the front door (HALLOBOT_SITE_URL).
    public_url: str = ""
    # Anonymous self-registrations per client address and window, across all instances.
    registration_limit: int = Field(5, ge=1)
    registration_window_s: float = Field(3600.0, gt=0, le=MAX_WINDOW_S)
    # Gone: it believed X-Forwarded-For from every peer. Refused when set (HALLOBOT_TRUSTED_PROXIES).
    trust_forwarded_for: bool | None = None
    # How long the search page may show a result list another instance has since changed (seconds; 0: no
    # cache). This instance's own writes end its cached lists at once (search_cache.py).
    search_cache_s: float = Field(5.0, ge=0, le=300)
    stale_after_months: int = Field(6, ge=1)
    job_interval_s: float = Field(3600.0, gt=0)
    # An archived profile drops its owner's private address this many days after archiving.
    archived_owner_days: int = Field(90, ge=0)
    # (population, shops, gastronomy) points of the Fairtrade-Town targets, interpolated in between.
    fairtrade_targets: list[tuple[int, int, int]] = Field(default_factory=lambda: list(DEFAULT_TARGETS), min_length=1)
    fairtrade_press_per_year: int = Field(4, ge=1)

    @model_validator(mode="after")
    def _refuse_trust_forwarded_for(self) -> DirectorySettings:
        if self.trust_forwarded_for is not None:
            raise ValueError(
                "DIRECTORY_TRUST_FORWARDED_FOR is no longer read: it believed X-Forwarded-For from any client. "
                "Remove it and list your reverse proxies in HALLOBOT_TRUSTED_PROXIES (CIDRs, comma-separated)"
            )
        return self

    # "Send me my link again": requests per client address, and mails per owner address, per window.
    link_request_limit: int = Field(5, ge=1)
    link_mail_limit: int = Field(3, ge=1)
    link_window_s: float = Field(3600.0, gt=0, le=MAX_WINDOW_S)

    def edit_link(self, business_id: str, token: str) -> str:
        if self.edit_url:
            return self.edit_url.format(id=business_id, token=token)
        return self.link(f"/verzeichnis/eintrag/zugang?token={token}")

    def profile_link(self, business_id: str) -> str:
        if self.public_url:
            return self.public_url.format(id=business_id)
        return self.link(f"/verzeichnis/{business_id}")

    @property
    def link_request_rate(self) -> Limit:
        return Limit("directory-link-requests-per-client", self.link_request_limit, self.link_window_s)

    @property
    def link_mail_rate(self) -> Limit:
        return Limit("directory-link-mails-per-owner", self.link_mail_limit, self.link_window_s)

    @property
    def registration_rate(self) -> Limit:
        return Limit("directory-self-registrations-per-client", self.registration_limit, self.registration_window_s)
