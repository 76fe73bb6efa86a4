"""PostgreSQL: the registration lock function answers for several email addresses at once

Revision ID: 0009
Revises: 0008

The registration desk (services/events/registration_desk.py) decides the registrations that queued
while the event was locked together, in one transaction: it needs, besides the counts, which of their
email keys already hold an active place. The function of 0007 took one key and answered with a
boolean; this one takes an array of keys and answers with those that are taken. The old signature is
dropped, so that only one function of the name exists.
"""

from importlib import import_module

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The event row as it is after the lock (a row of the table's own type, so it follows later columns),
# then confirmed, waitlisted, the last arrival number and those of the email keys that hold an active
# place. Each statement of a volatile plpgsql function takes a fresh snapshot: the counts see what the
# previous holder of the lock committed (see 0007).
LOCK_FOR_REGISTRATIONS = """
CREATE OR REPLACE FUNCTION events_lock_for_registration(p_event_id varchar, p_email_keys varchar[])
RETURNS TABLE (event events, confirmed bigint, waitlisted bigint, last_seq integer, taken varchar[])
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM 1 FROM events WHERE id = p_event_id FOR UPDATE;
    RETURN QUERY
    SELECT e,
        (SELECT count(*) FROM registrations r WHERE r.event_id = p_event_id AND r.status = 'confirmed'),
        (SELECT count(*) FROM registrations r WHERE r.event_id = p_event_id AND r.status = 'waitlisted'),
        (SELECT coalesce(max(r.seq), 0) FROM registrations r WHERE r.event_id = p_event_id),
        ARRAY(
            SELECT r.email_key FROM registrations r
            WHERE r.event_id = p_event_id AND r.email_key = ANY(p_email_keys)
              AND r.status IN ('confirmed', 'waitlisted')
        )::varchar[]
    FROM events e WHERE e.id = p_event_id;
END
$$
"""

# 0007's function, as 0007 wrote it: what the downgrade restores.
LOCK_FOR_ONE_REGISTRATION = import_module(
    "services.events.migrations.versions.0007_registration_lock_function"
).LOCK_FOR_REGISTRATION


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS events_lock_for_registration(varchar, varchar)")
        op.execute(LOCK_FOR_REGISTRATIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS events_lock_for_registration(varchar, varchar[])")
        op.execute(LOCK_FOR_ONE_REGISTRATION)
