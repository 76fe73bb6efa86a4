"""businesses: the search's substring index on every PostgreSQL server, without an extension

Revision ID: 0015
Revises: 0014

Migration 0014 indexed the folded search text with pg_trgm, which only servers with PostgreSQL's contrib
have: the embedded server the tests and benchmarks run (pgserver) does not, and there a rare word
was a pass over every published profile (bench/data_growth.py: ten times the profiles, twice the p99).
Now the trigrams come from a plain SQL function and are indexed with the built-in GIN operator class
for arrays: `search_trigrams(search_folded)` is the three-character pieces of the text, the
search asks for the rows whose pieces contain every piece of its terms (`@>`, answered by the index) and
keeps the `LIKE` that decides (queries.py). The same index on every server, so the tests' server runs
production's path; the pg_trgm index, where 0014 made one before, is dropped (the extension stays:
something else may use it).
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# IMMUTABLE (an index expression must be) and PARALLEL SAFE; a text shorter than three characters has none.
# Repeated pieces stay in the array: GIN keeps each key of a row once (and DISTINCT made it 15 % slower).
# Cutting 10,000 profiles' texts into pieces takes ~1.3 s against pg_trgm's 0.2 s (bench/README.md):
# ~0.1 ms more per saved profile.
FUNCTION = """
CREATE OR REPLACE FUNCTION search_trigrams(folded text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY(SELECT substr(folded, i, 3) FROM generate_series(1, length(folded) - 2) AS i)
$$
"""
INDEX = "CREATE INDEX ix_businesses_search_trigrams ON businesses USING gin (search_trigrams(search_folded))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # SQLite's FTS5 trigram table (0014) stays
    op.execute(FUNCTION)
    op.execute(INDEX)
    op.execute("DROP INDEX IF EXISTS ix_businesses_search_folded_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_businesses_search_trigrams")
    op.execute("DROP FUNCTION IF EXISTS search_trigrams(text)")
