"""Data protection requests (DSGVO Art. 15 and 17) and the services' answers; PRIVATE stream only.

The office (notifications' console) asks every service that holds personal data what it has about one
mail address (`access`) or to erase it (`erasure`); each service answers once per request with what it
found and, for an erasure, what it erased. The address travels only in the request; an erasure's
answer carries counts and kinds, never the address; an access answer carries the data found (the
office hands it to the person who asked). The answers have a subject of their own, outside
`hallobot.private.privacy.request.>`, so a service consuming the requests never reads another
service's answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.catalog.base import EventData
from shared.envelope import CloudEvent

PrivacyService = Literal["directory", "events", "notifications"]
PRIVACY_SERVICES: tuple[PrivacyService, ...] = ("directory", "events", "notifications")


class _PrivacyRequest(EventData):
    SUBJECT_FIELD = "request_id"
    SOURCE = "/hallobot/notifications"
    request_id: str = Field(max_length=64)
    email: str = Field(max_length=320, description="the address the request is about (PRIVATE only)")


class PrivacyErasureRequested(_PrivacyRequest):
    """An operator checked the person's identity and asked every service to erase what it holds
    about `email` (the console's data protection page)."""

    TYPE = "private.privacy.request.erasure"


class PrivacyAccessRequested(_PrivacyRequest):
    """An operator checked the person's identity and asked every service for what it holds about `email`."""

    TYPE = "private.privacy.request.access"


class PrivacyRequestAnswered(EventData):
    """One service's answer to a request: `found` counts what it held by kind (e.g. `registrations`,
    `subscriptions`, `deliveries`, `owner_addresses`, `outbox_rows`), `erased` what it erased (empty for
    access), `kept` what it keeps and why (a sentence per kind); `records` only for access: the data
    found, kind by kind. `source` is the answering service."""

    TYPE = "private.privacy.answer.sent"
    SUBJECT_FIELD = "request_id"
    SOURCE = "/hallobot/<service>"  # the answering service (to_event)
    request_id: str = Field(max_length=64)
    service: PrivacyService
    kind: Literal["erasure", "access"]
    found: dict[str, int] = Field(default_factory=dict)
    erased: dict[str, int] = Field(default_factory=dict)
    kept: dict[str, str] = Field(default_factory=dict)
    records: dict[str, list[dict[str, Any]]] | None = None

    def to_event(self, event_id: str | None = None) -> CloudEvent:
        event = super().to_event(event_id)
        return event.model_copy(update={"source": f"/hallobot/{self.service}"})
