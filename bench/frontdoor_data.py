"""The search page's data for bench/frontdoor.py: the directory's database (a temporary SQLite file, or a
fresh database on a PostgreSQL server, dropped afterwards), 5,000 published businesses in it, and a
cProfile of the search page's request in process (`--profile`).

Kept apart from frontdoor.py, which starts the processes and times them.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

VIA_API = 100  # businesses registered and published through the API; the rest are copies of their rows
WORDS = ["Bäckerei", "Café", "Fahrrad", "Blumen", "Buchhandlung", "Optik", "Metzgerei", "Friseur", "Weltladen"]


# --- the database -------------------------------------------------------------------------------


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    """An embedded PostgreSQL from the `pgserver` package (as the tests use it), stopped afterwards."""
    import pgserver

    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp())
    data_dir = tempfile.mkdtemp(prefix="hallobot-bench-pg-")
    os.chmod(data_dir, 0o755)  # run as root, pgserver starts PostgreSQL as its own user
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.contextmanager
def directory_database(server_url: str | None, work: Path) -> Iterator[str]:
    """The directory's database URL: a SQLite file in `work`, or a new database on the PostgreSQL server
    at `server_url` (a role that may create databases), dropped afterwards."""
    if not server_url:
        yield f"sqlite:///{work}/directory.sqlite3"
        return
    from sqlalchemy.engine import make_url

    name = f"hallobot_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(server_url: str, statement: str) -> None:
    from sqlalchemy import text

    from shared.db import Database

    admin = Database(server_url)
    try:
        async with admin.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


# --- the businesses -----------------------------------------------------------------------------


async def seed(url: str, count: int, database_url: str, token: str) -> None:
    """`count` published businesses: the first VIA_API registered and published through the directory's
    API (16 at a time), the rest copies of their rows with new ids, names and search columns, written
    in one transaction (through the API 5,000 take minutes on a busy SQLite: a transaction each)."""
    await seed_via_api(url, min(count, VIA_API), token)
    if count > VIA_API:
        await clone_rows(database_url, count - VIA_API)


async def clone_rows(database_url: str, count: int) -> None:
    from sqlalchemy import insert, select

    from services.directory.models import businesses
    from services.directory.search_text import search_columns
    from shared.db import Database

    database = Database(database_url)
    try:
        async with database.write_connection() as conn:
            query = select(businesses).where(businesses.c.status == "published")
            models = [dict(row._mapping) for row in (await conn.execute(query)).all()]
            if not models:
                raise SystemExit("no published business to copy")
            rows = []
            for i in range(count):
                row = dict(models[i % len(models)])
                number = VIA_API + i
                word = row["name"].split()[0]
                row.update(
                    id=str(uuid.uuid4()),
                    name=f"{word} Kopie {number}",
                    description=f"{word} in Bottrop, Nummer {number}, mit Lieferung und Abholung.",
                    edit_token_hash=secrets.token_hex(32),
                )
                row.update(search_columns(row))
                rows.append(row)
            await conn.execute(insert(businesses), rows)
    finally:
        await database.dispose()


async def seed_via_api(url: str, count: int, token: str) -> None:
    import httpx

    operator = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=operator, timeout=60) as client:
        categories = [c["slug"] for c in (await client.get("/categories")).json()]
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(count):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                word = WORDS[i % len(WORDS)]
                body = {
                    "name": f"{word} Bench {i}",
                    "category": categories[i % len(categories)],
                    "description": f"{word} in Bottrop, Nummer {i}, mit Lieferung und Abholung.",
                    "street": f"Hochstraße {i % 200 + 1}",
                    "postal_code": "46236",
                    "city": "Bottrop",
                    "delivery": i % 2 == 0,
                    "pickup": i % 3 == 0,
                    # a third states opening hours, so "open now" is evaluated on the page
                    **({"opening_hours": "Mo-Fr 08:00-18:00; Sa 08:00-13:00"} if i % 3 == 0 else {}),
                }
                created = await client.post("/businesses", json=body)
                if created.status_code != 201:
                    raise SystemExit(f"register: {created.status_code} {created.text[:300]}")
                published = await client.post(f"/businesses/{created.json()['id']}/publish")
                if published.status_code != 200:
                    raise SystemExit(f"publish: {published.status_code} {published.text[:300]}")

        await asyncio.gather(*(worker() for _ in range(16)))


# --- the profile (--profile) --------------------------------------------------------------------


async def profile_search(path: str, requests: int, out: Path) -> str:
    """cProfile `requests` GETs of the search page, in process (the directory app through httpx's ASGI
    transport, on the bench's database; settings from the environment), after 20 unprofiled ones. Writes
    the .pstats to `out`; returns the top of the cumulative listing."""
    import httpx

    from hallobot.services import create_app

    app = create_app("directory")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(20):
                (await client.get(path)).raise_for_status()
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(requests):
                (await client.get(path)).raise_for_status()
            profiler.disable()
    profiler.dump_stats(out)
    listing = io.StringIO()
    pstats.Stats(profiler, stream=listing).sort_stats("cumulative").print_stats(45)
    return listing.getvalue()
