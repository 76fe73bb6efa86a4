"""Tables of the events service; it owns this database and no other service reads it."""

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from shared.db import UtcDateTime
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

events = Table(
    "events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(20), nullable=False),  # event | consultation
    Column("title", String(300), nullable=False),
    Column("series", String(200), nullable=True, index=True),
    Column("description", Text, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False, index=True),
    # the public list asks for the events not yet over (ends_at >= now): read along this index, not past
    # the whole archive of events that are over (bench/data_growth.py)
    Column("ends_at", UtcDateTime, nullable=False, index=True),
    Column("venue", String(300), nullable=True),
    Column("online_url", String(500), nullable=True),
    Column("capacity", Integer, nullable=True),  # None: unlimited
    Column("waitlist", Boolean, nullable=False),
    Column("registration_opens_at", UtcDateTime, nullable=True),
    Column("registration_closes_at", UtcDateTime, nullable=True),
    Column("status", String(20), nullable=False),  # draft | published | cancelled
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("reminded_at", UtcDateTime, nullable=True),
    Column("erased_at", UtcDateTime, nullable=True),
    # free events may ask their registrants to confirm again `reconfirm_days_before` days before
    Column("reconfirm", Boolean, nullable=False, server_default=false()),
    Column("reconfirm_days_before", Integer, nullable=False, server_default="2"),
    Column("reconfirm_asked_at", UtcDateTime, nullable=True),  # the job's claims: asked once, released once
    Column("reconfirm_released_at", UtcDateTime, nullable=True),
    Column("attendance_closed_at", UtcDateTime, nullable=True),  # the summary was sent
)

slots = Table(
    "slots",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("event_id", String(32), ForeignKey("events.id"), nullable=False, index=True),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("expert", String(200), nullable=False),
    Column("topic", String(300), nullable=False),
    # one booking per slot: set and cleared under the event's lock, unique as a backstop
    Column("registration_id", String(32), nullable=True, unique=True),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("event_id", String(32), ForeignKey("events.id"), nullable=False),
    Column("seq", Integer, nullable=False),  # arrival order within the event: waitlist FIFO
    Column("slot_id", String(32), ForeignKey("slots.id"), nullable=True),
    Column("status", String(20), nullable=False),  # confirmed | waitlisted | cancelled
    Column("name", String(200), nullable=True),  # personal data: None once erased
    Column("email", String(320), nullable=True),
    Column("email_key", String(320), nullable=True),
    Column("organisation", String(200), nullable=True),
    Column("topic", String(100), nullable=True),  # consultation days: the registrant's topic
    Column("language", String(2), nullable=False),
    Column("consent_at", UtcDateTime, nullable=False),
    Column("cancel_token_hash", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("promoted_at", UtcDateTime, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("attended_at", UtcDateTime, nullable=True),  # checked in at the door
    Column("reconfirm_token_hash", String(64), nullable=True),
    Column("reconfirm_requested_at", UtcDateTime, nullable=True),
    Column("reconfirmed_at", UtcDateTime, nullable=True),
    Column("released_at", UtcDateTime, nullable=True),  # not reconfirmed: the place went back
    UniqueConstraint("event_id", "seq", name="uq_registrations_event_seq"),
    Index("ix_registrations_event_status", "event_id", "status"),
    Index("ix_registrations_event_email", "event_id", "email_key"),
)
