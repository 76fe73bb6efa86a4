"""Rows that can never be published: which failures are final, and setting such a row aside.

A row larger than the broker's max payload (or one the stream refuses for good) would fail on every
try, and the relay, which keeps order by stopping at the first failure, would never get past it.
Such a row is parked instead: `parked_at` and `park_reason` are set, a log line and the
`hallobot_outbox_parked_total` metric say so, and the rows behind it go out in their order. A
parked row stays in the outbox for an operator (docs/operations.md). Any other failure (broker
away, timeout, no stream yet) may pass, so the relay keeps the row and tries again.
"""

from __future__ import annotations

import logging
from typing import Any

from nats.errors import BadSubjectError, MaxPayloadError
from nats.js.errors import APIError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.envelope import utcnow
from shared.metrics import OUTBOX_PARKED
from shared.outbox import PARK_REASON_MAX
from shared.relay.statements import RelayStatements

log = logging.getLogger("hallobot.relay")

# JetStream API errors that a PubAck can carry and that no retry can change.
FINAL_API_ERRORS = frozenset({10054})  # the message is larger than the stream's max message size


def never_publishable(exc: BaseException, row: Row[Any]) -> str | None:
    """Why `row` can never be published, or None when another try may succeed."""
    if isinstance(exc, MaxPayloadError):
        return f"{len(row.payload)} bytes, more than the broker's max payload"
    if isinstance(exc, BadSubjectError):
        return f"invalid subject {row.subject!r}"
    if isinstance(exc, APIError) and exc.err_code in FINAL_API_ERRORS:
        return f"refused by the stream: {exc.description or exc.err_code}"
    return None


def parked(service: str, row: Row[Any], reason: str) -> tuple[int, str]:
    """Count and log a row set aside; (seq, reason) for `park`."""
    OUTBOX_PARKED.labels(service).inc()
    log.error(
        "outbox row parked: it can never be published",
        extra={"service": service, "seq": row.seq, "event_id": row.event_id, "subject": row.subject, "reason": reason},
    )
    return row.seq, reason[:PARK_REASON_MAX]


async def park(conn: AsyncConnection, sql: RelayStatements, rows: list[tuple[int, str]]) -> None:
    """Set the rows aside in the caller's transaction."""
    now = utcnow()
    for seq, reason in rows:
        await conn.execute(sql.park, {"park_seq": seq, "parked_at": now, "park_reason": reason})
