"""PostgreSQL: lock an event and count its registrations in one call (the registration rush's hot path)

Revision ID: 0007
Revises: 0006

A registration needs the event's row lock and then counts that see every registration committed by
the transactions that held the lock before. One plain statement cannot give both: its snapshot is
taken before it waits for the lock. A plpgsql function can: each statement in a volatile function
takes a fresh snapshot, so the lock and the counts after it are one round trip instead of two
(store.py, `SqlStore.event_for_registration`). SQLite needs none: its write transaction holds the
database's write lock from BEGIN IMMEDIATE on.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The event row as it is after the lock (a row of the table's own type, so it follows later columns),
# then confirmed, waitlisted, the last arrival number and whether the email key holds an active place.
LOCK_FOR_REGISTRATION = """
CREATE OR REPLACE FUNCTION events_lock_for_registration(p_event_id varchar, p_email_key varchar)
RETURNS TABLE (event events, confirmed bigint, waitlisted bigint, last_seq integer, taken boolean)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM 1 FROM events WHERE id = p_event_id FOR UPDATE;
    RETURN QUERY
    SELECT e,
        (SELECT count(*) FROM registrations r WHERE r.event_id = p_event_id AND r.status = 'confirmed'),
        (SELECT count(*) FROM registrations r WHERE r.event_id = p_event_id AND r.status = 'waitlisted'),
        (SELECT coalesce(max(r.seq), 0) FROM registrations r WHERE r.event_id = p_event_id),
        EXISTS (
            SELECT 1 FROM registrations r
            WHERE r.event_id = p_event_id AND r.email_key = p_email_key
              AND r.status IN ('confirmed', 'waitlisted')
        )
    FROM events e WHERE e.id = p_event_id;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(LOCK_FOR_REGISTRATION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS events_lock_for_registration(varchar, varchar)")
