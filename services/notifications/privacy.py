"""Data protection in the notifications service (docs/privacy.md): the office's requests (staged
here, answered by every service on PRIVATE), notifications' own answer, the answers gathered into a
report, and the retention of subscriber addresses."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import models, models_accounts
from services.notifications.domain import pseudonym
from services.notifications.models_privacy import privacy_answers, privacy_requests
from shared.catalog import (
    PRIVACY_SERVICES,
    PrivacyAccessRequested,
    PrivacyErasureRequested,
    PrivacyRequestAnswered,
)
from shared.db import dialect_insert
from shared.envelope import CloudEvent, utcnow
from shared.outbox import add_event
from shared.privacy import Request, address_key, is_erasure, private_outbox_rows

S, D = models.subscriptions, models.deliveries
Kind = Literal["erasure", "access"]
ACCOUNT_KEPT = "Ein Konto löscht die Leitung unter /verwaltung/konten / an admin deletes it there"


def address_hint(email: str) -> str:
    """What the office sees of the address on the report: enough to tell requests apart, not the address."""
    local, _, domain = address_key(email).partition("@")
    return f"{local[:2]}…@{domain}"


async def ask(session: AsyncSession, key: str, kind: Kind, email: str, actor: str) -> str:
    """Stage a request for every service (the address only in the PRIVATE event) and keep its record."""
    request_id = uuid.uuid4().hex
    model = PrivacyErasureRequested if kind == "erasure" else PrivacyAccessRequested
    await session.execute(
        insert(privacy_requests).values(
            id=request_id,
            kind=kind,
            address_ref=pseudonym(key, email),
            address_hint=address_hint(email),
            asked_by=actor,
            asked_at=utcnow(),
        )
    )
    await add_event(session, models.outbox, model(request_id=request_id, email=address_key(email)))
    return request_id


def _subscription(row: Any) -> dict[str, Any]:
    return {
        "subscription_id": row.id,
        "status": row.status,
        "email": row.address,
        "topics": row.topics,
        "filters": row.filters,
        "language": row.language,
        "digest": row.digest,
        "created_at": row.created_at.isoformat(),
        "confirmed_at": row.confirmed_at.isoformat() if row.confirmed_at else None,
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
    }


def _delivery(row: Any) -> dict[str, Any]:
    return {
        "delivery_id": row.id,
        "event_type": row.event_type,
        "template": row.template,
        "recipient": row.recipient,
        "subject": row.subject,
        "status": row.status,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


async def answer(session: AsyncSession, request: Request, key: str) -> tuple[PrivacyRequestAnswered, list[int]]:
    """notifications' own answer: subscriptions (and forgotten ones by their hash), the delivery log
    (mails to the address and any mail or failure reason that names it, with pending secret links),
    operator accounts (kept: an admin deletes an account), earlier access reports about the address,
    and the private outbox rows that carry it (the request itself among them)."""
    email = address_key(request.email)
    ref = pseudonym(key, email)
    subscriptions = (
        await session.execute(
            select(S).where(or_(func.lower(S.c.address) == email, S.c.address_hash == ref)).order_by(S.c.created_at)
        )
    ).all()
    mentioned = [
        func.lower(column).contains(email, autoescape=True)
        for column in (D.c.recipient, D.c.subject, D.c.body, D.c.html, D.c.last_error)
    ]
    deliveries = (await session.execute(select(D).where(or_(*mentioned)).order_by(D.c.created_at))).all()
    accounts = (
        await session.scalar(
            select(func.count())
            .select_from(models_accounts.operator_accounts)
            .where(func.lower(models_accounts.operator_accounts.c.email) == email)
        )
        or 0
    )
    reports = (
        await session.execute(
            select(privacy_answers.c.request_id, privacy_answers.c.service)
            .join(privacy_requests, privacy_requests.c.id == privacy_answers.c.request_id)
            .where(privacy_requests.c.address_ref == ref, privacy_answers.c.records.is_not(None))
        )
    ).all()
    outbox_rows = await private_outbox_rows(session, models.outbox, email)
    found = {
        "subscriptions": len(subscriptions),
        "deliveries": len(deliveries),
        "operator_accounts": int(accounts),
        "access_reports": len(reports),
        "outbox_rows": len(outbox_rows),
    }
    kept: dict[str, str] = {}
    if accounts:
        kept["operator_accounts"] = (
            "Ein Konto löscht die Leitung unter /verwaltung/konten / an admin deletes the account"
        )
    if not is_erasure(request):
        return PrivacyRequestAnswered(
            request_id=request.request_id,
            service="notifications",
            kind="access",
            found=found,
            kept=kept,
            records={
                "subscriptions": [_subscription(row) for row in subscriptions],
                "deliveries": [_delivery(row) for row in deliveries],
            },
        ), []
    delivery_ids = [row.id for row in deliveries]
    subscription_ids = [row.id for row in subscriptions]
    if subscription_ids:
        await session.execute(delete(D).where(D.c.subscription_id.in_(subscription_ids)))
        await session.execute(delete(S).where(S.c.id.in_(subscription_ids)))
    if delivery_ids:
        await session.execute(delete(D).where(D.c.id.in_(delivery_ids)))
    for row in reports:
        await session.execute(
            update(privacy_answers)
            .where(privacy_answers.c.request_id == row.request_id, privacy_answers.c.service == row.service)
            .values(records=None)
        )
    erased = {
        "subscriptions": len(subscriptions),
        "deliveries": len(deliveries),
        "access_reports": len(reports),
        "outbox_rows": len(outbox_rows),
    }
    return PrivacyRequestAnswered(
        request_id=request.request_id,
        service="notifications",
        kind="erasure",
        found=found,
        erased=erased,
        kept=kept,
    ), outbox_rows


async def without_erased(
    session: AsyncSession, key: str, notices: list[tuple[CloudEvent, Any]]
) -> list[tuple[CloudEvent, Any]]:
    """The private notices (each with an `email`) that may still become mails: a notice made before
    an erasure of its address (on PRIVATE before the request, consumed after it) is dropped, so that
    nothing of the erased person comes back; a notice made after it (a new registration) stays."""
    refs = {pseudonym(key, notice.email) for _, notice in notices}
    if not refs:
        return notices
    erased = dict(
        (
            await session.execute(
                select(privacy_requests.c.address_ref, func.max(privacy_requests.c.asked_at))
                .where(privacy_requests.c.kind == "erasure", privacy_requests.c.address_ref.in_(refs))
                .group_by(privacy_requests.c.address_ref)
            )
        ).all()
    )
    if not erased:
        return notices
    return [
        (event, notice)
        for event, notice in notices
        if (asked := erased.get(pseudonym(key, notice.email))) is None or event.time > asked
    ]


async def record_answer(session: AsyncSession, answered: PrivacyRequestAnswered, at: datetime) -> None:
    """One service's answer on the report (the first answer of a service counts; a copy changes nothing)."""
    values = answered.model_dump(include={"request_id", "service", "found", "erased", "kept", "records"})
    statement = dialect_insert(session)(privacy_answers).values(**values, answered_at=at)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["request_id", "service"]))


async def requests(session: AsyncSession, limit: int = 50) -> list[dict[str, Any]]:
    """The latest requests with the services that have answered."""
    rows = (
        await session.execute(select(privacy_requests).order_by(privacy_requests.c.asked_at.desc()).limit(limit))
    ).all()
    answered: dict[str, set[str]] = {}
    if rows:
        for row in await session.execute(
            select(privacy_answers.c.request_id, privacy_answers.c.service).where(
                privacy_answers.c.request_id.in_([row.id for row in rows])
            )
        ):
            answered.setdefault(row.request_id, set()).add(row.service)
    return [dict(row._mapping) | {"answered": sorted(answered.get(row.id, set()))} for row in rows]


async def report(session: AsyncSession, request_id: str) -> dict[str, Any] | None:
    """A request and every service's answer, in the order of PRIVACY_SERVICES; `complete` once all answered."""
    row = (await session.execute(select(privacy_requests).where(privacy_requests.c.id == request_id))).first()
    if row is None:
        return None
    answers = {
        answer_row.service: dict(answer_row._mapping)
        for answer_row in await session.execute(
            select(privacy_answers).where(privacy_answers.c.request_id == request_id)
        )
    }
    services = [
        {"service": service, "answered": service in answers, **answers.get(service, {})} for service in PRIVACY_SERVICES
    ]
    return dict(row._mapping) | {"services": services, "complete": len(answers) == len(PRIVACY_SERVICES)}


async def forget_subscribers(session: AsyncSession, now: datetime, key: str, pending_days: float) -> tuple[int, int]:
    """Retention: an unconfirmed subscription (and its confirmation mail) is erased `pending_days` after
    it was asked for (NOTIFICATIONS_CONFIRMATION_LINK_DAYS, 7: when its link stops working); an
    unsubscribed address is kept only as its pseudonym, to suppress it."""
    stale = select(S.c.id).where(S.c.status == "pending", S.c.created_at <= now - timedelta(days=pending_days))
    stale_ids = list((await session.scalars(stale)).all())
    if stale_ids:
        await session.execute(delete(D).where(D.c.subscription_id.in_(stale_ids)))
        await session.execute(delete(S).where(S.c.id.in_(stale_ids)))
    ended = (
        await session.execute(select(S.c.id, S.c.address).where(S.c.status == "unsubscribed", S.c.address.is_not(None)))
    ).all()
    for row in ended:
        await session.execute(
            update(S).where(S.c.id == row.id).values(address=None, address_hash=pseudonym(key, row.address))
        )
    return len(stale_ids), len(ended)
