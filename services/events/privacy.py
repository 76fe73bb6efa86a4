"""The events service's answer to a data protection request (shared/privacy.py): the registrations
made with the address. An erasure anonymises them as the erasure after an event does (name, address,
organisation, topic and tokens go; the row stays, so counts and the waiting order hold) and removes the
private registrant notices that carry the address from the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import models
from shared.catalog import PrivacyRequestAnswered
from shared.privacy import Request, address_key, is_erasure, private_outbox_rows

R, E = models.registrations, models.events
KEPT = "Zeilen ohne Personenbezug bleiben für die Zahlen / anonymous rows stay for the counts"
PERSONAL = {
    "name": None,
    "email": None,
    "email_key": None,
    "organisation": None,
    "topic": None,
    "cancel_token_hash": None,
    "reconfirm_token_hash": None,
}


def _record(row: Any) -> dict[str, Any]:
    return {
        "registration_id": row.id,
        "event_id": row.event_id,
        "event_title": row.title,
        "event_starts_at": row.starts_at.isoformat(),
        "status": row.status,
        "name": row.name,
        "email": row.email,
        "organisation": row.organisation,
        "topic": row.topic,
        "language": row.language,
        "consent_at": row.consent_at.isoformat(),
        "registered_at": row.created_at.isoformat(),
    }


async def answer(session: AsyncSession, request: Request) -> tuple[PrivacyRequestAnswered, list[int]]:
    key = address_key(request.email)
    mine = or_(R.c.email_key == key, func.lower(R.c.email) == key)
    rows = (
        await session.execute(
            select(R, E.c.title, E.c.starts_at).join(E, E.c.id == R.c.event_id).where(mine).order_by(R.c.created_at)
        )
    ).all()
    outbox_rows = await private_outbox_rows(session, models.outbox, request.email)
    found = {"registrations": len(rows), "outbox_rows": len(outbox_rows)}
    kept = {"registrations": KEPT}
    if not is_erasure(request):
        return PrivacyRequestAnswered(
            request_id=request.request_id,
            service="events",
            kind="access",
            found=found,
            records={"registrations": [_record(row) for row in rows]},
        ), []
    if rows:
        await session.execute(update(R).where(R.c.id.in_([row.id for row in rows])).values(PERSONAL))
    erased = {"registrations": len(rows), "outbox_rows": len(outbox_rows)}
    return PrivacyRequestAnswered(
        request_id=request.request_id, service="events", kind="erasure", found=found, erased=erased, kept=kept
    ), outbox_rows
