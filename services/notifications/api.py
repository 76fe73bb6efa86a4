"""HTTP routes of the notifications service: subscriptions, links from mails, operators, feed and page."""

from __future__ import annotations

import html
import ipaddress
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import delete, or_, select
from sse_starlette import EventSourceResponse

from services.notifications import handlers, models
from services.notifications.domain import FILTER_KEYS, PUBLIC_TYPES
from services.notifications.feed import follow
from services.notifications.jobs import wake
from services.notifications.schemas import (
    AllowlistEntry,
    DeliveryPublic,
    HotspotStatusPublic,
    SubscriptionAdmin,
    SubscriptionCreate,
    SubscriptionPublic,
    Topics,
    WebhookCreated,
)
from shared.auth import OperatorDep, TokenDep, is_operator, unauthorized
from shared.envelope import utcnow
from shared.errors import Invalid, NotFound
from shared.service import ReadingDep, RuntimeDep, TransactionDep

router = APIRouter()
PAGE = Path(__file__).resolve().parent / "static" / "index.html"
D, S = models.deliveries, models.subscriptions


# --- subscriptions ------------------------------------------------------------------------------


@router.post(
    "/subscriptions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubscriptionPublic | WebhookCreated,
    tags=["subscriptions"],
    summary="Abonnieren: E-Mail mit Bestätigung (double opt-in), Webhook nur für Operatoren",
    responses={201: {"model": WebhookCreated, "description": "webhook created; secret shown once"}},
)
async def subscribe(body: SubscriptionCreate, request: Request, session: TransactionDep, token: TokenDep):
    if body.channel == "webhook" and not is_operator(request, token):
        raise unauthorized("webhook subscriptions need an operator token")
    row, secret = await handlers.subscribe(
        session,
        request.app.state.settings,
        channel=body.channel,
        address=body.email,
        url=body.url,
        topics=body.topics,
        filters=body.filters,
        language=body.language,
        digest=body.digest,
    )
    wake.after_commit(session)
    if secret:
        return JSONResponse(WebhookCreated(**row).model_dump(mode="json"), status.HTTP_201_CREATED)
    return SubscriptionPublic(**row)


@router.get("/topics", response_model=Topics, tags=["subscriptions"], summary="Themen und Filter zum Abonnieren")
async def topics() -> Topics:
    return Topics(topics=PUBLIC_TYPES, filters=list(FILTER_KEYS))


TEXTS = {
    "confirm": {
        "de": (
            "Abonnement bestätigen",
            "Bitte bestätigen Sie Ihr Abonnement.",
            "Bestätigen",
            "Danke! Ihr Abonnement ist bestätigt.",
        ),
        "en": (
            "Confirm subscription",
            "Please confirm your subscription.",
            "Confirm",
            "Thank you! Your subscription is confirmed.",
        ),
    },
    "unsubscribe": {
        "de": (
            "Abmelden",
            "Möchten Sie diese Nachrichten nicht mehr erhalten?",
            "Abmelden",
            "Sie sind abgemeldet und erhalten keine Nachrichten mehr.",
        ),
        "en": (
            "Unsubscribe",
            "Do you no longer want these messages?",
            "Unsubscribe",
            "You are unsubscribed and will receive no more messages.",
        ),
    },
}


def _page(lang: str, title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"></head><body style="font-family:sans-serif;'
        f'max-width:36em;margin:2em auto"><h1>{html.escape(title)}</h1>{body}</body></html>'
    )


async def _language(session, subscription_id: str) -> str:
    return (await session.execute(select(S.c.language).where(S.c.id == subscription_id))).scalar() or "de"


@router.get(
    "/subscriptions/{subscription_id}/{purpose}",
    response_class=HTMLResponse,
    tags=["subscriptions"],
    summary="Seite zum Link aus der Mail (bestätigt erst per Knopf: Link-Scanner lösen nichts aus)",
)
async def link_page(
    subscription_id: str,
    purpose: Literal["confirm", "unsubscribe"],
    session: ReadingDep,
    token: str = Query(max_length=100),
) -> HTMLResponse:
    lang = await _language(session, subscription_id)
    title, question, button, _ = TEXTS[purpose][lang]
    action = html.escape(f"/subscriptions/{subscription_id}/{purpose}?token={token}")
    return _page(
        lang,
        title,
        f'<p>{question}</p><form method="post" action="{action}"><button type="submit">{button}</button></form>',
    )


@router.post(
    "/subscriptions/{subscription_id}/confirm",
    response_class=HTMLResponse,
    tags=["subscriptions"],
    summary="Abonnement bestätigen (double opt-in)",
)
async def confirm(
    subscription_id: str, request: Request, session: TransactionDep, token: str = Query(max_length=100)
) -> HTMLResponse:
    row = await handlers.confirm(session, request.app.state.settings, subscription_id, token)
    title, _, _, done = TEXTS["confirm"][row["language"]]
    return _page(row["language"], title, f"<p>{done}</p>")


@router.post(
    "/subscriptions/{subscription_id}/unsubscribe",
    response_class=HTMLResponse,
    tags=["subscriptions"],
    summary="Abmelden mit einem Klick (RFC 8058: POST List-Unsubscribe=One-Click)",
)
async def unsubscribe(
    subscription_id: str, request: Request, session: TransactionDep, token: str = Query(max_length=100)
) -> HTMLResponse:
    row = await handlers.unsubscribe(session, request.app.state.settings, subscription_id, token)
    title, _, _, done = TEXTS["unsubscribe"][row["language"]]
    return _page(row["language"], title, f"<p>{done}</p>")


# --- operators ----------------------------------------------------------------------------------


@router.get(
    "/subscriptions", response_model=list[SubscriptionAdmin], tags=["operators"], summary="Alle Abonnements (Operator)"
)
async def list_subscriptions(
    _: OperatorDep,
    session: ReadingDep,
    channel: Literal["email", "webhook"] | None = None,
    limit: int = Query(200, ge=1, le=1000),
) -> list[SubscriptionAdmin]:
    query = select(S).order_by(S.c.created_at.desc()).limit(limit)
    if channel:
        query = query.where(S.c.channel == channel)
    return [SubscriptionAdmin(**row) for row in (await session.execute(query)).mappings()]


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["operators"],
    summary="Abonnement beenden (Operator)",
)
async def end_subscription(subscription_id: str, _: OperatorDep, session: TransactionDep) -> None:
    await handlers.end_subscription(session, subscription_id)


@router.post(
    "/subscriptions/{subscription_id}/enable",
    response_model=SubscriptionAdmin,
    tags=["operators"],
    summary="Einen abgeschalteten Webhook wieder einschalten (Operator)",
)
async def enable_webhook(subscription_id: str, _: OperatorDep, session: TransactionDep) -> SubscriptionAdmin:
    return SubscriptionAdmin(**await handlers.enable_webhook(session, subscription_id))


@router.get(
    "/deliveries",
    response_model=list[DeliveryPublic],
    tags=["operators"],
    summary="Zustellprotokoll: was ging wann an wen, mit welchem Ergebnis (Operator)",
)
async def deliveries(
    _: OperatorDep,
    session: ReadingDep,
    status_: Literal["held", "pending", "sending", "sent", "dead", "digested"] | None = Query(None, alias="status"),
    channel: Literal["email", "webhook"] | None = None,
    recipient: str | None = Query(None, description="an address, URL or pseudonym (psn_…)"),
    event_id: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[DeliveryPublic]:
    query = select(D).order_by(D.c.created_at.desc()).limit(limit)
    if status_:
        query = query.where(D.c.status == status_)
    if channel:
        query = query.where(D.c.channel == channel)
    if recipient:
        query = query.where(or_(D.c.recipient == recipient, D.c.recipient_ref == recipient))
    if event_id:
        query = query.where(D.c.event_id == event_id)
    return [DeliveryPublic(**row) for row in (await session.execute(query)).mappings()]


@router.post(
    "/deliveries/{delivery_id}/replay",
    response_model=DeliveryPublic,
    tags=["operators"],
    summary="Eine gescheiterte (tote) Zustellung erneut versuchen (Operator)",
)
async def replay(delivery_id: str, _: OperatorDep, session: TransactionDep) -> DeliveryPublic:
    row = await handlers.replay(session, delivery_id)
    wake.after_commit(session)
    return DeliveryPublic(**row)


@router.get(
    "/webhook-allowlist",
    response_model=list[AllowlistEntry],
    tags=["operators"],
    summary="Private Ziele, die Webhooks erreichen dürfen (Operator)",
)
async def get_allowlist(_: OperatorDep, session: ReadingDep) -> list[AllowlistEntry]:
    rows = (await session.execute(select(models.webhook_allowlist.c.entry))).scalars()
    return [AllowlistEntry(entry=entry) for entry in rows]


@router.post(
    "/webhook-allowlist",
    response_model=AllowlistEntry,
    status_code=status.HTTP_201_CREATED,
    tags=["operators"],
    summary="Ein privates Ziel (Host oder CIDR) für Webhooks freigeben (Operator)",
)
async def add_allowlist(body: AllowlistEntry, _: OperatorDep, session: TransactionDep) -> AllowlistEntry:
    entry = body.entry.strip()
    if "/" in entry:
        try:
            entry = str(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise Invalid(f"not a CIDR range: {exc}", field="entry") from exc
    await session.execute(
        handlers._insert(session)(models.webhook_allowlist)
        .values(entry=entry, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["entry"])
    )
    return AllowlistEntry(entry=entry)


@router.delete(
    "/webhook-allowlist/{entry:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["operators"],
    summary="Freigabe entfernen (Operator)",
)
async def remove_allowlist(entry: str, _: OperatorDep, session: TransactionDep) -> None:
    result = await session.execute(delete(models.webhook_allowlist).where(models.webhook_allowlist.c.entry == entry))
    if not result.rowcount:
        raise NotFound("no such allowlist entry")


# --- the web --------------------------------------------------------------------------------------


@router.get(
    "/status/hotspots",
    response_model=list[HotspotStatusPublic],
    tags=["web"],
    summary="Aktueller Zustand der WLAN-Hotspots",
)
async def hotspots(session: ReadingDep) -> list[HotspotStatusPublic]:
    rows = (await session.execute(select(models.hotspots).order_by(models.hotspots.c.site_name))).mappings()
    return [HotspotStatusPublic(**row) for row in rows]


@router.get(
    "/feed",
    tags=["web"],
    response_class=EventSourceResponse,
    summary="Öffentliche Ereignisse als Server-Sent Events; mit Last-Event-ID fortsetzbar",
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def feed(
    request: Request,
    runtime: RuntimeDep,
    last_event_id: str | None = Query(None, description="alternative to the Last-Event-ID header"),
    backlog: int = Query(
        0,
        ge=0,
        le=200,
        description=("without Last-Event-ID: first up to this many of the latest events of each stream"),
    ),
):
    resume = request.headers.get("last-event-id") or last_event_id
    # Frames come encoded (the live ones once for all clients of this instance): see feed.py.
    return EventSourceResponse(
        follow(runtime, resume, backlog), ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


@router.get("/", response_class=HTMLResponse, tags=["web"], summary="Live-Seite (deutsch)")
async def live_page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))
