"""The pages behind the links in the mails, on the website (/abonnieren/bestaetigen?abo=…&token=…,
/abonnieren/abmelden?…): a GET only shows a page with one button, since mail scanners open links;
the button's POST confirms or unsubscribes. An expired confirmation link offers a new one
("Link abgelaufen – neuen Link anfordern"). The unsubscribe address also takes the RFC 8058
one-click POST of mail programs (body `List-Unsubscribe=One-Click`, no cookie, no form token): its
token is the proof, as for the page's button."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from services.notifications import domain, handlers, queries
from services.notifications.pages import pages
from services.notifications.repository import SqlRepository
from shared.envelope import utcnow
from shared.errors import NotFound
from shared.inputs import Id
from shared.ratelimit import check_client
from shared.service import ReadingDep, RuntimeDep
from shared.web.forms import read_form, see_other
from shared.web.i18n import N_, chosen_language

router = APIRouter()
NOT_VALID = N_("Dieser Link ist nicht gültig. Bitte nehmen Sie den Link aus der letzten Mail von HalloBot.")
ONE_CLICK = "List-Unsubscribe=One-Click"
Abo = Query(max_length=64)
Token = Query(max_length=100)


async def _subscription(
    session: Any, request: Request, purpose: str, abo: str, token: str
) -> tuple[dict[str, Any], str]:
    """The subscription behind a link, and the link's state (valid, expired); NotFound otherwise."""
    key = request.app.state.settings.secret_key.get_secret_value()
    state = domain.link_state(key, purpose, abo, token, utcnow())
    found = await queries.subscription(session, abo) if state != "invalid" else None
    if found is None:
        raise NotFound(NOT_VALID, field="token")
    return found, state


async def _chosen(session: Any, request: Request, subscription: dict[str, Any]) -> str:
    filters = subscription["filters"] or {}
    repo = SqlRepository(session)
    return await handlers.chosen_in_words(repo, subscription["topics"], filters, chosen_language(request))


@router.get("/abonnieren/bestaetigen")
async def confirm_page(request: Request, session: ReadingDep, abo: Id = Abo, token: str = Token) -> HTMLResponse:
    subscription, state = await _subscription(session, request, "confirm", abo, token)
    step: Literal["ask", "expired", "done", "ended"] = "ask"
    if subscription["status"] == "active":
        step = "done"
    elif subscription["status"] != "pending":
        step = "ended"
    elif state == "expired":
        step = "expired"
    chosen = await _chosen(session, request, subscription)
    return pages.render(request, "confirm.html", step=step, chosen=chosen, abo=abo, token=token)


@router.post("/abonnieren/bestaetigen")
async def confirm(request: Request, runtime: RuntimeDep, abo: Id = Abo, token: str = Token) -> Response:
    await read_form(request, honeypot=False)
    async with runtime.db.transaction() as session:
        subscription, state = await _subscription(session, request, "confirm", abo, token)
        expired = state == "expired" and subscription["status"] == "pending"
        if expired or subscription["status"] not in ("pending", "active"):
            # the page says what is left: a new link, or that the subscription has ended
            return see_other(f"/abonnieren/bestaetigen?{request.url.query}")
        await handlers.confirm(SqlRepository(session), request.app.state.settings, abo, token)
    return see_other("/abonnieren/bestaetigt")


@router.get("/abonnieren/bestaetigt")
async def confirmed(request: Request) -> HTMLResponse:
    return pages.render(request, "confirmed.html")


@router.post("/abonnieren/neuer-link")
async def new_link(request: Request, runtime: RuntimeDep, abo: Id = Abo, token: str = Token) -> Response:
    """An expired confirmation link asks for a new one: sent to the subscription's own address."""
    await read_form(request, honeypot=False)
    settings = request.app.state.settings
    await check_client(request, settings.subscription_rate)  # as many as new subscriptions
    async with runtime.db.reading() as session:
        subscription, _ = await _subscription(session, request, "confirm", abo, token)
    mail_due = bool(subscription["address"]) and await handlers.confirmation_mail_due(
        request.app.state.rate_limiter, settings, subscription["address"]
    )
    async with runtime.db.transaction() as session:
        await handlers.send_confirmation_again(SqlRepository(session), settings, abo, token, mail_due)
        request.app.state.wake.after_commit(session)
    return see_other("/abonnieren/danke")


@router.get("/abonnieren/abmelden")
async def unsubscribe_page(request: Request, session: ReadingDep, abo: Id = Abo, token: str = Token) -> HTMLResponse:
    subscription, _ = await _subscription(session, request, "unsubscribe", abo, token)
    chosen = await _chosen(session, request, subscription)
    ended = subscription["status"] == "unsubscribed"
    return pages.render(request, "unsubscribe.html", ended=ended, chosen=chosen)


@router.post("/abonnieren/abmelden")
async def unsubscribe(request: Request, runtime: RuntimeDep, abo: Id = Abo, token: str = Token) -> Response:
    raw = await request.form(max_fields=10)
    one_click = raw.get("List-Unsubscribe") == "One-Click"
    async with runtime.db.transaction() as session:
        await _subscription(session, request, "unsubscribe", abo, token)  # a wrong link: 404 either way
        if not one_click:
            await read_form(request, honeypot=False)  # the page's button: with the form token
        await handlers.unsubscribe(SqlRepository(session), request.app.state.settings, abo, token)
    if one_click:
        return PlainTextResponse("unsubscribed")
    return see_other("/abonnieren/abgemeldet")


@router.get("/abonnieren/abgemeldet")
async def unsubscribed(request: Request) -> HTMLResponse:
    return pages.render(request, "unsubscribed.html")
