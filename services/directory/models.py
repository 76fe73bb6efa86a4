"""Tables of the directory service; it owns this database and no other service reads it. Every instant
is a `UtcDateTime`: stored in UTC, read back timezone-aware on SQLite and PostgreSQL alike."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    column,
    false,
    table,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

from shared.db import UtcDateTime
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

businesses = Table(
    "businesses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(40), nullable=False),
    Column("description", String(2000), nullable=False),
    Column("offerings", JSON, nullable=False),
    Column("email", String(254), nullable=True),
    Column("phone", String(40), nullable=True),
    Column("website", String(300), nullable=True),
    Column("street", String(200), nullable=True),
    Column("postal_code", String(5), nullable=True),
    Column("city", String(100), nullable=False),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("opening_hours", String(500), nullable=True),
    Column("delivery", Boolean, nullable=False),
    Column("pickup", Boolean, nullable=False),
    # the delivery and pickup offer (offers.py), JSON; null: none
    Column("offer", JSON, nullable=True),
    Column("accepts_gutschein", Boolean, nullable=False),
    Column("sells_gutschein", Boolean, nullable=False, server_default=false()),
    Column("online_shop", Boolean, nullable=False),
    Column("fairtrade_products", Integer, nullable=False),
    Column("links", JSON, nullable=False),
    # the owner's own address: for the edit link and nudges only, never public, never in an event
    Column("owner_email", String(254), nullable=True),
    Column("owner_language", String(2), nullable=False, server_default="de"),  # de | en, for the owner's mails
    Column("status", String(20), nullable=False),
    Column("self_registered", Boolean, nullable=False),
    Column("edit_token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # last edit or confirmation by owner or office; six months without one make a profile stale
    Column("touched_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    # the touched_at whose stale period the owner was already nudged for (one nudge per period)
    Column("stale_noticed_for", UtcDateTime(), nullable=True),
    # search_text feeds PostgreSQL's German full text; search_folded the SQLite substring fallback
    Column("search_text", Text, nullable=False),
    Column("search_folded", Text, nullable=False),
    # PostgreSQL: to_tsvector('german', search_text), kept by a trigger (migration 0009); empty on SQLite
    Column("search_vector", TSVECTOR().with_variant(Text(), "sqlite"), nullable=True),
    Index("ix_businesses_status_category", "status", "category"),
    # the search page's list: published profiles by name, read 20 at a time along this index (no sort)
    Index("ix_businesses_status_name_id", "status", "name", "id"),
    # a free-text search with many matches: newest in the directory first, read backwards along this index
    Index("ix_businesses_status_published_at_id", "status", "published_at", "id"),
    Index("ix_businesses_search_vector", "search_vector", postgresql_using="gin"),
    # "open now": the distinct opening hours and the count of matches read from the index alone
    Index("ix_businesses_status_opening_hours", "status", "opening_hours"),
)

# The search's substring index, kept by migrations 0014 and 0015 outside this metadata because it differs by
# database: on SQLite the FTS5 table `businesses_search` (and its shadow tables), on PostgreSQL a GIN index
# on the function `search_trigrams(search_folded)`. Names starting with these are not the models' business.
# The FTS5 table as the search reads it (queries.py): the rowids of the profiles whose text matches.
search_index = table("businesses_search", column("rowid"), column("search_folded"))
OUTSIDE_METADATA = (search_index.name, "ix_businesses_search_trigrams")

# Changes an owner proposed to a published profile that wait for the office (domain_review.py): at most one
# `pending` per profile; a newer edit supersedes it, the office approves (the fields go live) or rejects it.
business_changes = Table(
    "business_changes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("business_id", String(36), nullable=False, index=True),
    Column("fields", JSON, nullable=False),  # the waiting fields and their proposed values (JSON values)
    Column("status", String(20), nullable=False),  # pending | approved | rejected | superseded | withdrawn
    Column("proposed_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("note", String(1000), nullable=True),  # the office's reason for a rejection, shown to the owner
    Index("ix_business_changes_status_proposed_at", "status", "proposed_at"),
)

# One row (id 1): the campaign's own records and the criteria state last announced.
fairtrade_campaign = Table(
    "fairtrade_campaign",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("population", Integer, nullable=False),
    Column("council_resolution_on", Date, nullable=True),
    Column("council_resolution_text", String(5000), nullable=True),
    Column("steering_group", JSON, nullable=False),
    Column("criteria_met", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=True),
)

fairtrade_actions = Table(
    "fairtrade_actions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("action", String(500), nullable=False),
    Column("held_on", Date, nullable=False, index=True),
)

fairtrade_press = Table(
    "fairtrade_press",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("outlet", String(200), nullable=False),
    Column("url", String(500), nullable=True),
    Column("published_on", Date, nullable=False, index=True),
)

# The steering group's meetings (who attended is counted, never named).
fairtrade_meetings = Table(
    "fairtrade_meetings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("held_on", Date, nullable=False, index=True),
    Column("topic", String(2000), nullable=False),
    Column("attendees", Integer, nullable=False),
)

# The title's history: the award and every renewal, one row each (never one overwritten value).
fairtrade_titles = Table(
    "fairtrade_titles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(10), nullable=False),  # awarded | renewed
    Column("granted_on", Date, nullable=False),
    UniqueConstraint("kind", "granted_on", name="uq_fairtrade_titles_kind_granted_on"),
)

fairtrade_reminders = Table(
    "fairtrade_reminders",
    metadata,
    Column("expires_on", Date, nullable=False),
    Column("days", Integer, nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("expires_on", "days"),
)

# The office's networks (migration 0011 seeds the two: wirtschaftsallianz, fachkraeftesicherung). A network's
# meetings are the events of the events service whose series is `meeting_series` (networks.py).
networks = Table(
    "networks",
    metadata,
    Column("slug", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("meeting_series", String(200), nullable=False),
    Column("position", Integer, nullable=False),
)

network_members = Table(
    "network_members",
    metadata,
    Column("network", String(40), nullable=False),
    Column("business_id", String(36), nullable=False, index=True),
    Column("joined_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("network", "business_id"),
)

# What the office wrote to a network's members (mailed to each member's owner address as an owner notice).
network_announcements = Table(
    "network_announcements",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("network", String(40), nullable=False),
    Column("headline", String(200), nullable=False),
    Column("message", String(5000), nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
    Index("ix_network_announcements_network_sent_at", "network", "sent_at"),
)
