"""Profiles written straight into a migrated directory database, for the tests of the search's SQL
(test_search_index.py, test_search_count.py) and for pages that need hundreds of matches (through the
API one at a time they would take minutes)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from services.directory.models import businesses
from services.directory.search_text import search_columns
from shared.db import Database
from tests.support.databases import migrated
from tests.support.plans import analyze

NOW = datetime(2031, 3, 8, 11, tzinfo=UTC)  # a Saturday, noon in Bottrop
WORDS = ["Bäckerei", "Café", "Fahrrad", "Blumen", "Buchhandlung", "Optik", "Metzgerei", "Friseur"]
PROFILES = 800
HOURS = ["Mo-Fr 08:00-18:00; Sa 08:00-13:00", "Mo-Fr 10:00-19:00", None]


def profile(number: int, **overrides) -> dict:
    """The `number`th profile: one of WORDS in name, description and offer; every tenth a draft; published
    a minute after the one before."""
    word = WORDS[number % len(WORDS)]
    row = {
        "id": f"b{number:07d}",
        "name": f"{word} Nummer {number:05d}",
        "category": "einzelhandel",
        "description": f"{word} in Bottrop, mit Lieferung.",
        "offerings": [word.lower()],
        "city": "Bottrop",
        "opening_hours": HOURS[number % 3],
        "delivery": number % 2 == 0,
        "pickup": False,
        "accepts_gutschein": False,
        "online_shop": False,
        "fairtrade_products": 0,
        "links": [],
        "status": "published" if number % 10 else "draft",
        "self_registered": False,
        "edit_token_hash": secrets.token_hex(32),
        "created_at": NOW - timedelta(days=100),
        "updated_at": NOW - timedelta(days=10),
        "touched_at": NOW - timedelta(days=10),
    } | overrides
    if "published_at" not in row:  # the later a number, the newer in the directory (a key in every row: one INSERT)
        published = row["status"] == "published"
        row["published_at"] = NOW - timedelta(days=100) + timedelta(minutes=number) if published else None
    return row | search_columns(row)


async def add(database: Database, rows: list[dict]) -> None:
    async with database.write_connection() as conn:
        await conn.execute(insert(businesses), rows)
    await analyze(database)


@asynccontextmanager
async def filled(url: str, extra: list[dict] | None = None) -> AsyncIterator[Database]:
    """The directory's database at its head with PROFILES profiles (and `extra` rows), analysed."""
    async with migrated("directory", url) as database:
        await add(database, [profile(i) for i in range(PROFILES)] + (extra or []))
        yield database


def add_published(database_url: str, name: str, count: int) -> None:
    """`count` published profiles named `name` 000, `name` 001, … in the service's database."""
    rows = [
        profile(
            i,
            id=str(uuid.uuid4()),
            name=f"{name} {i:03d}",
            description=f"{name} in Bottrop",
            offerings=[name],
            status="published",
        )
        for i in range(count)
    ]

    async def write() -> None:
        database = Database(database_url)
        try:
            await add(database, rows)
        finally:
            await database.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:  # a test may be running inside an event loop
        pool.submit(asyncio.run, write()).result()
