"""/abonnieren: one topic in plain words, an address, consent; then a confirmation mail (double
opt-in). The choices come from what the service knows (topics.py); the form runs the API's use
cases with its limits: requests per client (NOTIFICATIONS_SUBSCRIPTION_LIMIT) and one confirmation
mail per address and window, answered alike whether a mail went out or not."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import handlers, queries
from services.notifications.pages import pages
from services.notifications.repository import SqlRepository
from services.notifications.topics import Choice, choices
from shared.inputs import Email, Line
from shared.ratelimit import check_client
from shared.service import ReadingDep, RuntimeDep
from shared.web.forms import Form, read_form, see_other, validate
from shared.web.i18n import N_, chosen_language

router = APIRouter()
CHOOSE_TOPIC = N_("Bitte wählen Sie aus, worüber Sie Nachrichten erhalten möchten.")
CONSENT = N_("Bitte stimmen Sie zu, damit wir Ihnen Mails schicken dürfen.")


class SubscribeForm(BaseModel):
    topic: Line = Field(min_length=1, max_length=200)
    email: Email
    consent: Literal["on"]


async def _choices(request: Request, session: AsyncSession) -> list[Choice]:
    names = await queries.names(session)
    return choices(names.hotspots, await queries.series(session), pages.gettext(chosen_language(request)))


def _form(
    request: Request, options: list[Choice], form: Form | None = None, errors: dict[str, str] | None = None
) -> HTMLResponse:
    status = 422 if errors else 200
    return pages.render(
        request, "subscribe.html", status_code=status, choices=options, form=form or {}, errors=errors or {}
    )


@router.get("/abonnieren")
async def subscribe_page(request: Request, session: ReadingDep) -> HTMLResponse:
    return _form(request, await _choices(request, session))


@router.post("/abonnieren")
async def subscribe(request: Request, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    language = chosen_language(request)
    async with runtime.db.reading() as session:
        options = await _choices(request, session)
    data, errors = validate(SubscribeForm, form, pages.gettext(language))
    chosen = next((choice for choice in options if choice.key == form.get("topic")), None)
    if chosen is None:
        errors["topic"] = pages.text(request, CHOOSE_TOPIC)
    if "consent" in errors:
        errors["consent"] = pages.text(request, CONSENT)
    if errors or data is None or chosen is None:
        return _form(
            request,
            options,
            form,
            dict(sorted(errors.items(), key=lambda item: FIELDS.index(item[0]) if item[0] in FIELDS else 99)),
        )
    settings = request.app.state.settings
    await check_client(request, settings.subscription_rate)
    mail_due = await handlers.confirmation_mail_due(request.app.state.rate_limiter, settings, data.email)
    async with runtime.db.transaction() as session:
        await handlers.subscribe(
            SqlRepository(session),
            settings,
            channel="email",
            address=data.email,
            topics=chosen.topics,
            filters=chosen.filters,
            language=language,
            digest="immediate",
            confirmation_mail=mail_due,
        )
        request.app.state.wake.after_commit(session)
    return see_other("/abonnieren/danke")


FIELDS = ["topic", "email", "consent"]


@router.get("/abonnieren/danke")
async def done(request: Request) -> HTMLResponse:
    days = round(request.app.state.settings.confirmation_link_days)
    return pages.render(request, "subscribe_done.html", valid_days=days)
