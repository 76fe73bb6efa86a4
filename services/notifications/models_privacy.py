"""The office's data protection requests (DSGVO Art. 15, 17) and each service's answer
(services/notifications/privacy_*.py, docs/privacy.md).

A request keeps no address: only a keyed pseudonym (to find earlier requests about the same address)
and a hint for the office (`an…@example.org`); the address travelled on PRIVATE only."""

from sqlalchemy import JSON, Column, String, Table

from services.notifications.models import metadata
from shared.db import UtcDateTime

privacy_requests = Table(
    "privacy_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(10), nullable=False),  # erasure | access
    Column("address_ref", String(64), nullable=False, index=True),  # domain.pseudonym of the address
    Column("address_hint", String(320), nullable=False),  # the first two characters and the domain
    Column("asked_by", String(100), nullable=False),  # the operator's account id (the actor)
    Column("asked_at", UtcDateTime, nullable=False, index=True),
)

privacy_answers = Table(
    "privacy_answers",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("service", String(20), primary_key=True),
    Column("answered_at", UtcDateTime, nullable=False),
    Column("found", JSON, nullable=False),
    Column("erased", JSON, nullable=False),
    Column("kept", JSON, nullable=False),
    Column(
        "records", JSON(none_as_null=True), nullable=True
    ),  # access only: the data found (gone when the address is erased)
)
