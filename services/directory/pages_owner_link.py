""" "Send me my link again" (/verzeichnis/eintrag/link): by the owner's address, always the same answer
whether the address is known or not, so the page reveals no address. Limited per client (a page
saying so) and per owner address (silently: the answer stays the same); the mail goes only to the
address stored with the profile (handlers.send_edit_links, which also makes the old link stop working)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.directory import handlers, owner_session
from services.directory.deps import SettingsDep
from services.directory.owner_forms import LinkRequestForm
from services.directory.pages import pages
from services.directory.store import SqlStore
from shared.errors import TooManyRequests
from shared.ratelimit import RateLimiter, check_client
from shared.service import RuntimeDep
from shared.web import chosen_language, read_form, see_other, validate

router = APIRouter()

LINK = owner_session.PATH + "/link"
SENT = LINK + "/gesendet"


@router.get(LINK)
async def link_form(request: Request) -> Response:
    return pages.render(request, "owner_link.html")


@router.post(LINK)
async def request_link(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    form = await read_form(request)
    data, errors = validate(LinkRequestForm, form, pages.gettext(chosen_language(request)))
    if data is None:
        return pages.render(request, "owner_link.html", form=form, errors=errors, status_code=422)
    try:
        await check_client(request, settings.link_request_rate)
    except TooManyRequests:
        return pages.render(request, "owner_link.html", form=form, too_many=True, status_code=429)
    limiter: RateLimiter = request.app.state.rate_limiter
    if not await limiter.acquire(settings.link_mail_rate, str(data.owner_email).lower()):
        async with runtime.db.transaction() as session:
            await handlers.send_edit_links(SqlStore(session), str(data.owner_email), settings=settings)
    return see_other(SENT)


@router.get(SENT)
async def link_sent(request: Request) -> Response:
    return pages.render(request, "owner_link_sent.html")
