"""A small test service schema: outbox, inbox and an effects table, like any real service."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from shared.db import Database
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(200), nullable=False),
    Column("note", String(200), nullable=False, default=""),
)


async def create_schema(url: str) -> Database:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return db


async def count(db: Database, table: Table, *where) -> int:
    async with db.reading() as session:
        return await session.scalar(select(func.count()).select_from(table).where(*where))
