"""The networks in the office's console (`/verwaltung/verzeichnis/netzwerke`): the Wirtschaftsallianz and
the Fachkräftesicherung with their members; adding and removing a member, and a message to all members
(mailed to each member's owner address). The use cases are network_handlers.py."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Path, Request
from fastapi.responses import Response

from services.directory import network_handlers, network_queries
from services.directory.labels import NETWORK_EXPLANATIONS
from services.directory.pages import pages
from services.directory.pages_console import STATUS_NAMES, category_name, console_render, console_router
from services.directory.pages_console_forms import AnnouncementForm, MemberForm
from shared.envelope import utcnow
from shared.errors import Conflict, NotFound
from shared.service import Runtime, RuntimeDep
from shared.web import N_, chosen_language, read_form, see_other, validate

router = console_router()
NETWORKS = "/verwaltung/verzeichnis/netzwerke"
ONE = NETWORKS + "/{slug}"
Slug = Annotated[str, Path(max_length=40)]
NO_NETWORK = N_("Dieses Netzwerk gibt es nicht.")
NO_BUSINESS = N_("Einen Eintrag mit dieser Kennung gibt es nicht.")
ARCHIVED = N_("Ein archivierter Eintrag kann keinem Netzwerk beitreten.")


@router.get(NETWORKS)
async def overview(request: Request, runtime: RuntimeDep) -> Response:
    async with runtime.db.reading() as session:
        found = await network_queries.overview(session)
    return console_render(request, "console/networks.html", section="networks", networks=found)


async def network_page(
    request: Request,
    runtime: Runtime,
    slug: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    async with runtime.db.reading() as session:
        network = next((item for item in await network_queries.overview(session) if item["slug"] == slug), None)
    if network is None:
        raise NotFound(NO_NETWORK, field="network")
    explanation = NETWORK_EXPLANATIONS.get(slug)
    return console_render(
        request,
        "console/network.html",
        section="networks",
        status_code=status_code,
        network=network,
        explanation=pages.text(request, explanation) if explanation else None,
        form=form or {},
        errors=errors or {},
        status_name=lambda name: pages.text(request, STATUS_NAMES[name]),
        category_name=lambda value: category_name(request, value),
    )


@router.get(ONE)
async def show(request: Request, runtime: RuntimeDep, slug: Slug) -> Response:
    return await network_page(request, runtime, slug)


def _done(slug: str, what: str) -> Response:
    return see_other(f"{NETWORKS}/{slug}?erledigt={what}")


@router.post(ONE + "/mitglieder")
async def add_member(request: Request, runtime: RuntimeDep, slug: Slug) -> Response:
    form = await read_form(request, honeypot=False)
    gettext = pages.gettext(chosen_language(request))
    data, errors = validate(MemberForm, form, gettext)
    if data is not None:
        try:
            async with runtime.db.transaction() as session:
                await network_handlers.join(session, slug, data.business, now=utcnow())
        except NotFound as exc:
            if exc.field != "business_id":
                raise NotFound(NO_NETWORK, field="network") from None
            errors = {"business": gettext(NO_BUSINESS)}
        except Conflict:
            errors = {"business": gettext(ARCHIVED)}
        else:
            return _done(slug, "mitglied")
    return await network_page(request, runtime, slug, form=form, errors=errors, status_code=422)


@router.post(ONE + "/mitglieder/{business_id}/entfernen")
async def remove_member(request: Request, runtime: RuntimeDep, slug: Slug, business_id: UUID) -> Response:
    await read_form(request, honeypot=False)
    try:
        async with runtime.db.transaction() as session:
            await network_handlers.leave(session, slug, str(business_id))
    except NotFound as exc:
        raise NotFound(NO_NETWORK if exc.field == "network" else NO_BUSINESS, field=exc.field) from None
    return _done(slug, "entfernt")


@router.post(ONE + "/rundschreiben")
async def write_to_members(request: Request, runtime: RuntimeDep, slug: Slug) -> Response:
    form = await read_form(request, honeypot=False)
    data, errors = validate(AnnouncementForm, form, pages.gettext(chosen_language(request)))
    if data is None:
        return await network_page(request, runtime, slug, form=form, errors=errors, status_code=422)
    try:
        async with runtime.db.transaction() as session:
            await network_handlers.announce(session, slug, data.headline, data.message, now=utcnow())
    except NotFound:
        raise NotFound(NO_NETWORK, field="network") from None
    return _done(slug, "rundschreiben")
