"""Idempotent inbox: a consumer records each message it processed, in the effects' transaction."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, String, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.envelope import utcnow

INBOX_TABLE = "inbox"


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        INBOX_TABLE,
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("message_id", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("consumer", "message_id"),
    )


async def claim(session: AsyncSession, table: Table, consumer: str, message_id: str) -> bool:
    """Record (consumer, message id); False when it was processed before (then skip the effects).

    On PostgreSQL a concurrent claim of the same key waits for the first transaction and then
    sees the conflict, so two instances never both apply one message.
    """
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(consumer=consumer, message_id=message_id, processed_at=utcnow())
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["consumer", "message_id"]))
    return result.rowcount == 1
