"""What the database plans for a query: for tests that an index serves a read (bench/data_growth.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event, text

from shared.db import Database


async def plan_of(db: Database, read: Callable[[], Awaitable[Any]], containing: str, *, generic: bool = False) -> str:
    """The plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) of the first statement `read`
    runs whose SQL contains `containing`, with that statement's own parameters. `generic` (PostgreSQL):
    the plan for any parameters, which a prepared statement may switch to after five runs."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if containing in statement:
            seen.append((statement, parameters))

    sync_engine = db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        await read()
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    assert seen, f"no statement containing {containing!r}"
    statement, parameters = seen[0]
    explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    async with db.engine.connect() as conn:
        if not generic:
            rows = (await conn.exec_driver_sql(explain + statement, parameters)).all()
        else:  # EXPLAIN with parameters plans for their values: the generic plan only through a PREPAREd one
            await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            await conn.exec_driver_sql(f"PREPARE planned AS {statement}")
            try:  # EXECUTE takes no parameters: its arguments are written out
                arguments = ", ".join(_sql_literal(value) for value in parameters)
                rows = (await conn.exec_driver_sql(f"EXPLAIN EXECUTE planned({arguments})")).all()
            finally:
                await conn.exec_driver_sql("DEALLOCATE planned")
                await conn.exec_driver_sql("RESET plan_cache_mode")
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


def _sql_literal(value: Any) -> str:
    """A parameter of the tests' statements as PostgreSQL text: numbers, booleans, texts and lists of texts."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float):
        return str(value).upper() if isinstance(value, bool) else str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | tuple):
        return "ARRAY[" + ", ".join(_sql_literal(item) for item in value) + "]::text[]" if value else "'{}'"
    raise TypeError(f"no SQL literal for {type(value).__name__} in a plan test")


async def analyze(db: Database) -> None:
    """Fresh statistics, as a running service's tables have them (plan tests, bench/data_growth.py). On
    PostgreSQL VACUUM too, as autovacuum does after a load: it empties a GIN index's list of pending
    entries, which the planner counts against reading the index, and sets the visibility map, without
    which an index-only scan (the search's counts, "open now") fetches every row from the table anyway."""
    if db.is_sqlite:
        async with db.write_connection() as conn:
            await conn.execute(text("ANALYZE"))
        return
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM runs outside a transaction
        await conn.execute(text("VACUUM ANALYZE"))
