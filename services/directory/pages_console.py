"""The directory's part of the office's console (`/verwaltung/verzeichnis…`, `/verwaltung/fairtrade…`):
the gate every console page passes, how they render, the review queue and the list of all profiles.

The pages call the same use cases and queries as the JSON API (never HTTP). One profile and its
decisions: pages_console_review.py; the office's edit: pages_console_edit.py; the campaign:
pages_console_fairtrade.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.directory import domain, queries
from services.directory.labels import CATEGORY_NAMES
from services.directory.owner_texts import FIELDS
from services.directory.pages import pages
from services.directory.review_queries import review_queue
from shared.console.pages import console_operator
from shared.service import ReadingDep, RuntimeDep
from shared.web import N_

AREA = "directory"  # the console area of these pages (the directory and the Fairtrade campaign)
QUEUE = "/verwaltung/verzeichnis"
ALL = QUEUE + "/eintraege"
PRIVATE = {"cache-control": "no-store"}
PER_PAGE = 50
SIGN_IN = N_("Bitte melden Sie sich in der Verwaltung an.")


def console_router() -> APIRouter:
    """A router of console pages: every route behind the one gate."""
    return APIRouter(dependencies=[Depends(console_operator(AREA))])


router = console_router()

STATUS_NAMES: dict[str, str] = {
    "pending": N_("Wartet auf Prüfung"),
    "published": N_("Veröffentlicht"),
    "unpublished": N_("Zurückgezogen"),
    "archived": N_("Archiviert"),
}
# Said after an action (the page it leads to reads `?erledigt=`).
DONE: dict[str, str] = {
    "veroeffentlicht": N_("Der Eintrag ist veröffentlicht."),
    "freigegeben": N_("Die Änderung ist freigegeben und im Verzeichnis zu sehen."),
    "zurueckgegeben": N_("Der Eintrag ist zurück beim Inhaber; die Notiz steht auf seiner Seite."),
    "zurueckgezogen": N_("Der Eintrag ist nicht mehr öffentlich."),
    "archiviert": N_("Der Eintrag ist archiviert."),
    "gespeichert": N_("Gespeichert."),
    "aktion": N_("Die Aktion ist eingetragen."),
    "artikel": N_("Der Artikel ist eingetragen."),
    "sitzung": N_("Die Sitzung ist eingetragen."),
    "geloescht": N_("Gelöscht."),
    "steuerungsgruppe": N_("Die Steuerungsgruppe ist gespeichert."),
    "ratsbeschluss": N_("Der Ratsbeschluss ist gespeichert."),
    "einwohner": N_("Die Einwohnerzahl ist gespeichert."),
    "titel": N_("Der Titel ist eingetragen."),
    "mitglied": N_("Der Betrieb ist jetzt Mitglied."),
    "entfernt": N_("Der Betrieb ist nicht mehr Mitglied."),
    "rundschreiben": N_("Die Nachricht geht an die Mitglieder mit E-Mail-Adresse."),
}


def console_render(
    request: Request, template: str, *, section: str, status_code: int = 200, **context: Any
) -> Response:
    """A console page: the shared layout, the console's sub-navigation with `section` current, never cached."""
    done = DONE.get(request.query_params.get("erledigt", ""))
    response = pages.render(
        request,
        template,
        status_code=status_code,
        section=section,
        done=pages.text(request, done) if done else None,
        **context,
    )
    response.headers.update(PRIVATE)
    return response


def field_names(request: Request, fields: dict[str, Any]) -> list[str]:
    """The changed fields of a proposal in words, never their keys."""
    return [pages.text(request, FIELDS[name]) for name in fields if name in FIELDS]


def category_name(request: Request, slug: str) -> str:
    return pages.text(request, CATEGORY_NAMES.get(slug, slug))


@router.get(QUEUE)
async def queue_page(request: Request, session: ReadingDep) -> Response:
    queue = await review_queue(session)
    changes = [change | {"names": field_names(request, change["fields"])} for change in queue["changes"]]
    return console_render(
        request,
        "console/queue.html",
        section="queue",
        new=queue["new"],
        returned=queue["returned"],
        changes=changes,
        changes_total=queue["changes_total"],
        category_name=lambda slug: category_name(request, slug),
    )


@router.get(ALL)
async def all_profiles(
    request: Request,
    session: ReadingDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    seite: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    """Every profile by status and words, for the office (unknown parameters are ignored, as on the search)."""
    chosen = status if status in domain.STATUSES else None
    page = int(seite) if seite.isdigit() and 0 < int(seite) <= 10_000 else 1
    filters = queries.Filters(q=q.strip() or None, status=chosen)
    found = await queries.search(
        session, filters, page=page, per_page=PER_PAGE, is_sqlite=runtime.db.is_sqlite, exact_count=True
    )  # the office sees exactly how many
    return console_render(
        request,
        "console/profiles.html",
        section="all",
        profiles=found.rows,
        total=found.total,
        page=page,
        pages_count=max(1, -(-found.total // PER_PAGE)),
        q=q,
        status=chosen or "",
        statuses=[(name, pages.text(request, text)) for name, text in STATUS_NAMES.items()],
        status_name=lambda name: pages.text(request, STATUS_NAMES[name]),
        category_name=lambda slug: category_name(request, slug),
    )
