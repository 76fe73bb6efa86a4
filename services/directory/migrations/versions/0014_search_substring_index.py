"""businesses: an index for the search's substring match, and one for "open now"

Revision ID: 0014
Revises: 0013

Free text finds a profile whose folded search document contains every folded term (search_text.py).
Without an index that is a pass over every published profile, which grew tenfold with ten times the
profiles (bench/data_growth.py). Now:
- SQLite: `businesses_search`, an FTS5 table with the trigram tokenizer over `search_folded`
  (external content: it stores only the index, the text stays in businesses), kept by triggers.
  A term of three characters or more is a phrase MATCH on it, answered from the index alone.
- PostgreSQL: migration 0015's GIN index on the text's trigrams, which needs no extension. (Until 0015
  this migration made a pg_trgm index where the server had the extension; 0015 drops it there.)
- Both: (status, opening_hours), so "open now" reads the distinct opening hours and counts its
  matches from the index alone instead of from the whole rows.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

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


def upgrade() -> None:
    op.create_index("ix_businesses_status_opening_hours", "businesses", ["status", "opening_hours"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(SQLITE_INDEX)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO businesses_search (businesses_search) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS businesses_search_{name}")
        op.execute("DROP TABLE IF EXISTS businesses_search")
    op.drop_index("ix_businesses_status_opening_hours", table_name="businesses")
