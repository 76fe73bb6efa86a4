"""businesses: an index for the search's substring match, and one for "open now"

Revision ID: 0014
Revises: 0013

Free text finds a profile whose folded search document contains every folded term (search_text.py).
Without an index that is a pass over every published profile, which grew tenfold with ten times the
profiles (bench/data_growth.py). Now:
- SQLite: `businesses_search`, an FTS5 table with the trigram tokenizer over `search_folded`
  (external content: it stores only the index, the text stays in businesses), kept by triggers.
  A term of three characters or more is a phrase MATCH on it, answered from the index alone.
- PostgreSQL: a trigram GIN index on `search_folded` (extension pg_trgm, in PostgreSQL's contrib,
  which the official image ships; a trusted extension, so the database's owner may create it). Where
  the server lacks pg_trgm (the embedded test server does), the step is left out with a warning: the
  search gives the same answers, only without the index.
- Both: (status, opening_hours), so "open now" reads the distinct opening hours and counts its
  matches from the index alone instead of from the whole rows.
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE_INDEX = """
CREATE VIRTUAL TABLE businesses_search USING fts5(
    search_folded, content='businesses', content_rowid='rowid', tokenize='trigram'
)
"""
SQLITE_TRIGGERS = (
    """CREATE TRIGGER businesses_search_insert AFTER INSERT ON businesses BEGIN
        INSERT INTO businesses_search (rowid, search_folded) VALUES (new.rowid, new.search_folded);
    END""",
    """CREATE TRIGGER businesses_search_delete AFTER DELETE ON businesses BEGIN
        INSERT INTO businesses_search (businesses_search, rowid, search_folded)
        VALUES ('delete', old.rowid, old.search_folded);
    END""",
    """CREATE TRIGGER businesses_search_update AFTER UPDATE OF search_folded ON businesses BEGIN
        INSERT INTO businesses_search (businesses_search, rowid, search_folded)
        VALUES ('delete', old.rowid, old.search_folded);
        INSERT INTO businesses_search (rowid, search_folded) VALUES (new.rowid, new.search_folded);
    END""",
)
POSTGRES_INDEX = "CREATE INDEX ix_businesses_search_folded_trgm ON businesses USING gin (search_folded gin_trgm_ops)"


def upgrade() -> None:
    op.create_index("ix_businesses_status_opening_hours", "businesses", ["status", "opening_hours"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(SQLITE_INDEX)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO businesses_search (businesses_search) VALUES ('rebuild')")
        return
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
    if not available:
        log.warning("pg_trgm is not installed on this server: the directory's free-text search runs without its index")
        return
    try:
        with bind.begin_nested():  # a role that may not create it leaves the rest of the migration intact
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm cannot be created (%s): the free-text search runs without its index", exc.orig)
        return
    op.execute(POSTGRES_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS businesses_search_{name}")
        op.execute("DROP TABLE IF EXISTS businesses_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_businesses_search_folded_trgm")
    op.drop_index("ix_businesses_status_opening_hours", table_name="businesses")
