"""HTTP routes of the notifications service for subscribers: subscribe, topics, and the links from
mails (confirm, one-click unsubscribe). Operators: api_operators.py; feed and live page: api_web.py."""

from __future__ import annotations

import html
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import handlers, queries
from services.notifications.config import NotificationsSettings
from services.notifications.domain import FILTER_KEYS, PUBLIC_TYPES, Subscription
from services.notifications.repository import SqlRepository
from services.notifications.schemas import SubscriptionCreate, SubscriptionPublic, Topics, WebhookCreated
from services.notifications.wake import Wake
from services.notifications.webhooks import lookup
from shared.auth import TokenDep, is_operator, refuse_other_roles
from shared.errors import Unauthenticated
from shared.inputs import Id
from shared.ratelimit import check_client
from shared.service import ReadingDep, RuntimeDep, TransactionDep

router = APIRouter()


def get_settings(request: Request) -> NotificationsSettings:
    settings: NotificationsSettings = request.app.state.settings
    return settings


def get_wake(request: Request) -> Wake:
    wake: Wake = request.app.state.wake
    return wake


SettingsDep = Annotated[NotificationsSettings, Depends(get_settings)]
SubscriptionId = Annotated[Id, Path(description="the subscription's id")]
WakeDep = Annotated[Wake, Depends(get_wake)]


@router.post(
    "/subscriptions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubscriptionPublic | WebhookCreated,
    tags=["subscriptions"],
    summary="Abonnieren: E-Mail mit Bestätigung (double opt-in), Webhook nur für Operatoren",
    responses={
        201: {"model": WebhookCreated, "description": "webhook created; secret shown once"},
        429: {"description": "zu viele Abonnements von diesem Client / too many subscriptions from this client"},
    },
)
async def subscribe(
    body: SubscriptionCreate,
    request: Request,
    runtime: RuntimeDep,
    settings: SettingsDep,
    wake: WakeDep,
    token: TokenDep,
) -> SubscriptionPublic | JSONResponse:
    refuse_other_roles(request, token)
    operator = is_operator(request, token)
    if body.channel == "webhook" and not operator:
        raise Unauthenticated("webhook subscriptions need an operator token")
    if not operator:
        await check_client(request, settings.subscription_rate)  # NOTIFICATIONS_SUBSCRIPTION_LIMIT
    mail_due = True  # the answer is the same whether the confirmation mail goes out or not
    if body.channel == "email" and body.email:
        mail_due = await handlers.confirmation_mail_due(request.app.state.rate_limiter, settings, body.email)
    # DNS before the transaction: on SQLite a write transaction holds the process's writer lock.
    target = await lookup(body.url) if body.channel == "webhook" and body.url else None
    async with runtime.db.transaction() as session:
        subscription, secret = await handlers.subscribe(
            SqlRepository(session),
            settings,
            channel=body.channel,
            address=body.email,
            target=target,
            topics=body.topics,
            filters=body.filters,
            language=body.language,
            digest=body.digest,
            confirmation_mail=mail_due,
        )
        wake.after_commit(session)
    if secret:
        return JSONResponse(WebhookCreated(**asdict(subscription)).model_dump(mode="json"), status.HTTP_201_CREATED)
    return SubscriptionPublic(**asdict(subscription))


@router.get("/topics", response_model=Topics, tags=["subscriptions"], summary="Themen und Filter zum Abonnieren")
async def topics() -> Topics:
    return Topics(topics=PUBLIC_TYPES, filters=list(FILTER_KEYS))


# title, question, button, done: per purpose and language
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


def _done(subscription: Subscription, purpose: Literal["confirm", "unsubscribe"]) -> HTMLResponse:
    title, _, _, done = TEXTS[purpose][subscription.language]
    return _page(subscription.language, title, f"<p>{done}</p>")


def _page(lang: str, title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width"><link rel="stylesheet" href="/static/page.css">'
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


async def _link_page(
    session: AsyncSession, subscription_id: str, purpose: Literal["confirm", "unsubscribe"], token: str
) -> HTMLResponse:
    lang = await queries.subscription_language(session, subscription_id)
    title, question, button, _ = TEXTS[purpose][lang]
    action = html.escape(f"/subscriptions/{subscription_id}/{purpose}?token={token}")
    return _page(
        lang,
        title,
        f'<p>{question}</p><form method="post" action="{action}"><button type="submit">{button}</button></form>',
    )


# Two routes, not one `/{purpose}` template: a URL such as /subscriptions/{id}/enable must not fit a GET.
LINK_PAGE = "Seite zum Link aus der Mail (bestätigt erst per Knopf: Link-Scanner lösen nichts aus)"


@router.get(
    "/subscriptions/{subscription_id}/confirm", response_class=HTMLResponse, tags=["subscriptions"], summary=LINK_PAGE
)
async def confirm_page(
    subscription_id: SubscriptionId, session: ReadingDep, token: str = Query(max_length=100)
) -> HTMLResponse:
    return await _link_page(session, subscription_id, "confirm", token)


@router.get(
    "/subscriptions/{subscription_id}/unsubscribe",
    response_class=HTMLResponse,
    tags=["subscriptions"],
    summary=LINK_PAGE,
)
async def unsubscribe_page(
    subscription_id: SubscriptionId, session: ReadingDep, token: str = Query(max_length=100)
) -> HTMLResponse:
    return await _link_page(session, subscription_id, "unsubscribe", token)


@router.post(
    "/subscriptions/{subscription_id}/confirm",
    response_class=HTMLResponse,
    tags=["subscriptions"],
    summary="Abonnement bestätigen (double opt-in)",
)
async def confirm(
    subscription_id: SubscriptionId, settings: SettingsDep, session: TransactionDep, token: str = Query(max_length=100)
) -> HTMLResponse:
    return _done(await handlers.confirm(SqlRepository(session), settings, subscription_id, token), "confirm")


@router.post(
    "/subscriptions/{subscription_id}/unsubscribe",
    response_class=HTMLResponse,
    tags=["subscriptions"],
    summary="Abmelden mit einem Klick (RFC 8058: POST List-Unsubscribe=One-Click)",
)
async def unsubscribe(
    subscription_id: SubscriptionId, settings: SettingsDep, session: TransactionDep, token: str = Query(max_length=100)
) -> HTMLResponse:
    return _done(await handlers.unsubscribe(SqlRepository(session), settings, subscription_id, token), "unsubscribe")
