"""Tables of the notifications service; it owns this database and no other service reads it."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import UtcDateTime
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("channel", String(10), nullable=False),  # email | webhook
    Column("address", String(320), nullable=True),  # email channel
    Column("url", String(2000), nullable=True),  # webhook channel
    Column("secret", String(100), nullable=True),  # webhook signing secret (needed to sign)
    Column("topics", JSON, nullable=False),
    Column("filters", JSON, nullable=False),
    Column("language", String(2), nullable=False),
    Column("digest", String(10), nullable=False),  # immediate | daily
    Column("status", String(15), nullable=False, index=True),  # pending | active | unsubscribed | disabled
    Column("failures", Integer, nullable=False, default=0),  # consecutive failed webhook attempts
    Column("created_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime, nullable=True),
    Column("ended_at", UtcDateTime, nullable=True),
    # an unsubscribed address, once forgotten: its pseudonym (domain.pseudonym), for suppression
    Column("address_hash", String(64), nullable=True, index=True),
)

# One row per (event, recipient, template): the unique key is what makes a mail exactly-once.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_id", String(120), nullable=False),
    Column("event_type", String(120), nullable=False),
    Column("channel", String(10), nullable=False),  # email | webhook
    Column("template", String(40), nullable=False),
    Column("recipient", String(2000), nullable=False),  # address or URL, for the operator's log
    Column("recipient_ref", String(64), nullable=False),  # pseudonym used in published events
    Column("subscription_id", String(36), nullable=True, index=True),
    Column("subject", String(500), nullable=False),
    Column("body", Text, nullable=False),  # mail text or webhook JSON
    Column("html", Text, nullable=True),
    Column("headers", JSON, nullable=False),
    # held (daily digest) | pending | sending | sent | dead | digested
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    # a registrant's cancel link until the server accepted the mail, then wiped: the stored text has
    # mail_mime.CANCEL_LINK in its place
    Column("secret_link", String(2000), nullable=True),
    # traces on (shared/tracing.py): the consumer span that staged it, the parent of the sender's span
    Column("traceparent", String(55), nullable=True),
    UniqueConstraint("event_id", "recipient_ref", "template", name="uq_deliveries_once"),
)
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)

# Private hosts/networks an operator allowed as webhook targets (e.g. a city system in the intranet).
webhook_allowlist = Table(
    "webhook_allowlist",
    metadata,
    Column("entry", String(255), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# Cancel links arrive only with a registrant's first notice; later mails (promotion, reminder) reuse them.
registrant_links = Table(
    "registrant_links",
    metadata,
    Column("registration_id", String(64), primary_key=True),
    Column("cancel_url", String(2000), nullable=False),  # sealed (sealed.py): no working token at rest
    Column("forget_after", UtcDateTime, nullable=False, index=True),
)

# Current status of each hotspot, for the live page (built from wifi.hotspot.* events).
hotspots = Table(
    "hotspots",
    metadata,
    Column("hotspot_id", String(64), primary_key=True),
    Column("site_name", String(200), nullable=False),
    Column("status", String(15), nullable=True),
    Column("since", UtcDateTime, nullable=True),
)

# Whether the office has each business profile published (from directory.business.published,
# .unpublished, .archived): subscribers hear of a profile only while it is (handlers_fanout).
business_visibility = Table(
    "business_visibility",
    metadata,
    Column("business_id", String(64), primary_key=True),
    Column("published", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),  # the time of the event that set it
)

# The events of the calendar the service heard of (events.event.*), to name them and their series in
# sentences and on the subscribe form: an event's title, and the series it belongs to.
calendar = Table(
    "calendar",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("series", String(100), nullable=True, index=True),
    Column("starts_at", UtcDateTime, nullable=False),
)

# The console's operator accounts, sessions and API tokens, the impact monitor's projection and the
# audit trail live on this metadata too.
from services.notifications import models_accounts, models_monitor, models_privacy  # noqa: E402, F401
