"""The relay's SQL, built once per relay: building the statements anew each round cost more CPU than
running them when rounds carry a row or two (a mail marked sent is one row)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import BigInteger, Select, Table, Update, bindparam, func, select, update
from sqlalchemy.dialects import postgresql


class RelayStatements:
    def __init__(self, table: Table, batch_size: int, lock_key: int) -> None:
        c = table.c
        self.select_pending: Select[Any] = (
            select(c.seq, c.event_id, c.subject, c.payload, c.created_at)
            .where(c.published_at.is_(None), c.parked_at.is_(None))
            .order_by(c.seq)
            .limit(batch_size)
        )
        # PostgreSQL: the seqs as one array parameter (500 expanded parameters cost a compile each round).
        self.mark_listed: Update = (
            update(table)
            .where(c.seq == func.any(bindparam("seq_list", type_=postgresql.ARRAY(BigInteger))))
            .values(published_at=bindparam("published_at", type_=c.published_at.type))
        )
        # PostgreSQL: one relay of a service works at a time (transaction-scoped advisory lock).
        # In the same round trip, the round's commit stops waiting for its WAL flush: a mark lost in
        # a database crash is a row published again, and the dedup window drops the copy, as after a
        # relay crash between publish and mark.
        self.try_lock: Select[tuple[bool, str]] = select(
            func.pg_try_advisory_xact_lock(lock_key), func.set_config("synchronous_commit", "off", True)
        )
        # SQLite: read on from the last published seq; mark published rows as one seq range.
        self.select_after = cast("Select[Any]", self.select_pending.where(c.seq > bindparam("after")))
        self.mark_range: Update = (
            update(table)
            .where(
                c.seq > bindparam("after"),
                c.seq <= bindparam("upto"),
                c.published_at.is_(None),
                c.parked_at.is_(None),
            )
            .values(published_at=bindparam("published_at", type_=c.published_at.type))
        )
        # A row that can never be published: set aside with its reason (rare, one row at a time).
        self.park: Update = (
            update(table)
            .where(c.seq == bindparam("park_seq"))
            .values(
                parked_at=bindparam("parked_at", type_=c.parked_at.type),
                park_reason=bindparam("park_reason", type_=c.park_reason.type),
            )
        )
