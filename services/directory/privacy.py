"""The directory's answer to a data protection request (shared/privacy.py), and its retention rule
for archived profiles.

What the directory holds about a person is the owner's private address (`owner_email`) of the
profiles they registered; sometimes the public address of the business is the same. An erasure
removes the owner's address (the profile stays: its public business data is the business's, not the
person's; without an address the owner gets no mails and asks the office for a new edit link), a
public address that is the same one, the address in waiting changes, and the private owner notices
that carry it in the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import models
from shared.catalog import PrivacyRequestAnswered
from shared.privacy import Request, address_key, is_erasure, mentions, private_outbox_rows

B, C = models.businesses, models.business_changes


def _record(row: Any, key: str) -> dict[str, Any]:
    return {
        "business_id": row.id,
        "name": row.name,
        "status": row.status,
        "owner_email": row.owner_email,
        "owner_language": row.owner_language,
        "public_email": row.email if row.email and address_key(row.email) == key else None,
        "self_registered": row.self_registered,
        "created_at": row.created_at.isoformat(),
    }


def _without(fields: dict[str, Any], email: str) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if not mentions(str(value), email)}


async def answer(session: AsyncSession, request: Request) -> tuple[PrivacyRequestAnswered, list[int]]:
    key = address_key(request.email)
    owner, public = func.lower(B.c.owner_email) == key, func.lower(B.c.email) == key
    rows = (await session.execute(select(B).where(or_(owner, public)).order_by(B.c.created_at))).all()
    owned = [row for row in rows if row.owner_email and address_key(row.owner_email) == key]
    public_rows = [row for row in rows if row.email and address_key(row.email) == key]
    changes = [
        (row.id, row.fields)
        for row in (await session.execute(select(C.c.id, C.c.fields))).all()
        if mentions(str(row.fields), request.email)
    ]
    outbox_rows = await private_outbox_rows(session, models.outbox, request.email)
    found = {
        "owner_addresses": len(owned),
        "public_addresses": len(public_rows),
        "waiting_changes": len(changes),
        "outbox_rows": len(outbox_rows),
    }
    if not is_erasure(request):
        return PrivacyRequestAnswered(
            request_id=request.request_id,
            service="directory",
            kind="access",
            found=found,
            records={"profiles": [_record(row, key) for row in rows]},
        ), []
    if owned:
        await session.execute(update(B).where(B.c.id.in_([row.id for row in owned])).values(owner_email=None))
    if public_rows:
        await session.execute(update(B).where(B.c.id.in_([row.id for row in public_rows])).values(email=None))
    for change_id, fields in changes:
        await session.execute(update(C).where(C.c.id == change_id).values(fields=_without(fields, request.email)))
    erased = found | {"outbox_rows": len(outbox_rows)}
    kept = {"profiles": "Öffentliche Geschäftsdaten bleiben / the public business data stays"}
    return PrivacyRequestAnswered(
        request_id=request.request_id, service="directory", kind="erasure", found=found, erased=erased, kept=kept
    ), outbox_rows


async def forget_archived_owners(session: AsyncSession, now: datetime, after_days: int) -> int:
    """An archived profile keeps its owner's address `after_days` after archiving (questions about
    the archiving), then drops it. Archived is final, so `updated_at` is the archiving time."""
    result = await session.execute(
        update(B)
        .where(
            B.c.status == "archived",
            B.c.owner_email.is_not(None),
            B.c.updated_at <= now - timedelta(days=after_days),
        )
        .values(owner_email=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
