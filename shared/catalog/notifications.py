"""Events of the notifications service: the outcome of each delivery."""

from __future__ import annotations

from typing import Literal

from shared.catalog.base import EventData


class _DeliveryEvent(EventData):
    """Outcome of one delivery; `recipient` is a pseudonym (keyed hash), never an address."""

    SUBJECT_FIELD = "delivery_id"
    SOURCE = "/hallobot/notifications"
    delivery_id: str
    channel: Literal["email", "webhook", "web"]
    recipient: str
    event_id: str


class DeliverySent(_DeliveryEvent):
    TYPE = "notifications.delivery.sent"


class DeliveryFailed(_DeliveryEvent):
    TYPE = "notifications.delivery.failed"
    reason: str
