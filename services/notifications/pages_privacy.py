"""/verwaltung/datenschutz: the office's data protection requests (DSGVO Art. 15 access, Art. 17
erasure) by mail address, after an identity check, and each request's report: what every service
found and erased (or, for access, the data, also as JSON and CSV). Area "privacy" (shared/console/roles.py:
admin and office); the address itself is never stored here, it travels on PRIVATE (docs/privacy.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from services.notifications import privacy
from services.notifications.pages import pages
from shared.console.pages import console_operator
from shared.console.roles import Operator
from shared.errors import NotFound
from shared.inputs import Email
from shared.service import RuntimeDep
from shared.spreadsheet import csv_response
from shared.web.forms import read_form, see_other, validate
from shared.web.i18n import N_, chosen_language

router = APIRouter()
PAGE = "/verwaltung/datenschutz"
Office = Annotated[Operator, Depends(console_operator("privacy"))]
RequestId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
NOT_FOUND = "Diese Anfrage gibt es nicht. / No such request."
IDENTITY = N_("Bitte bestätigen Sie, dass Sie die Identität der Person geprüft haben.")
KINDS = {"erasure": N_("Löschung (Art. 17 DSGVO)"), "access": N_("Auskunft (Art. 15 DSGVO)")}
SERVICES = {
    "directory": N_("Verzeichnis"),
    "events": N_("Veranstaltungen"),
    "notifications": N_("Benachrichtigungen"),
}
# What the services count, in the office's words (the keys of PrivacyRequestAnswered.found).
THINGS = {
    "profiles": N_("Einträge im Verzeichnis"),
    "registrations": N_("Anmeldungen zu Veranstaltungen"),
    "owner_addresses": N_("Adressen von Inhabern eines Eintrags"),
    "public_addresses": N_("öffentliche Adressen eines Eintrags"),
    "waiting_changes": N_("wartende Änderungen eines Eintrags"),
    "subscriptions": N_("Abonnements"),
    "deliveries": N_("Zustellungen (Mails)"),
    "operator_accounts": N_("Konten der Verwaltung"),
    "access_reports": N_("frühere Auskünfte"),
    "outbox_rows": N_("ausgehende interne Nachrichten"),
}


class PrivacyForm(BaseModel):
    email: Email
    kind: Literal["erasure", "access"]
    identity_checked: Literal["on"]


def _words(request: Request) -> dict[str, dict[str, str]]:
    return {
        "kinds": {key: pages.text(request, text) for key, text in KINDS.items()},
        "services": {key: pages.text(request, text) for key, text in SERVICES.items()},
        "things": {key: pages.text(request, text) for key, text in THINGS.items()},
    }


async def _index(request: Request, runtime: Any, status_code: int = 200, **context: Any) -> HTMLResponse:
    async with runtime.db.reading() as session:
        shown = await privacy.requests(session)
    kinds = [(key, pages.text(request, text)) for key, text in KINDS.items()]
    return pages.render(
        request,
        "privacy/index.html",
        status_code=status_code,
        requests=shown,
        kind_options=kinds,
        service_count=len(SERVICES),
        kinds=_words(request)["kinds"],
        **context,
    )


@router.get(PAGE)
async def privacy_page(request: Request, runtime: RuntimeDep, _: Office) -> HTMLResponse:
    return await _index(request, runtime)


@router.post(PAGE)
async def ask(request: Request, runtime: RuntimeDep, operator: Office) -> Response:
    form = await read_form(request)
    data, errors = validate(PrivacyForm, form, pages.gettext(chosen_language(request)))
    if "identity_checked" in errors:
        errors["identity_checked"] = pages.text(request, IDENTITY)
    if data is None:
        return await _index(request, runtime, status_code=422, form=dict(form), errors=errors)
    key = request.app.state.settings.secret_key.get_secret_value()
    async with runtime.db.transaction() as session:
        request_id = await privacy.ask(session, key, data.kind, str(data.email), operator.account_id)
    return see_other(f"{PAGE}/{request_id}")


async def _report(runtime: Any, request_id: str) -> dict[str, Any]:
    async with runtime.db.reading() as session:
        found = await privacy.report(session, request_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


@router.get(PAGE + "/{request_id}")
async def report_page(request: Request, request_id: RequestId, runtime: RuntimeDep, _: Office) -> HTMLResponse:
    report = await _report(runtime, request_id)
    words = _words(request)
    return pages.render(
        request,
        "privacy/report.html",
        report=report,
        kinds=words["kinds"],
        services=words["services"],
        things=words["things"],
    )


def _plain(report: dict[str, Any]) -> dict[str, Any]:
    services = [
        {key: service.get(key) for key in ("service", "answered", "answered_at", "found", "erased", "kept", "records")}
        for service in report["services"]
    ]
    return {
        "request_id": report["id"],
        "kind": report["kind"],
        "address": report["address_hint"],
        "asked_at": report["asked_at"],
        "complete": report["complete"],
        "services": services,
    }


@router.get(PAGE + "/{request_id}/bericht.json")
async def report_json(request_id: RequestId, runtime: RuntimeDep, _: Office) -> Response:
    body = json.dumps(_plain(await _report(runtime, request_id)), ensure_ascii=False, indent=2, default=str)
    disposition = f'attachment; filename="datenschutz-{request_id}.json"'
    return Response(body, media_type="application/json", headers={"Content-Disposition": disposition})


@router.get(PAGE + "/{request_id}/bericht.csv")
async def report_csv(request_id: RequestId, runtime: RuntimeDep, _: Office) -> Response:
    """One line per service and kind of data: found, erased, kept (why); access data is in the JSON."""
    report = await _report(runtime, request_id)
    rows = []
    for service in report["services"]:
        found, erased, kept = service.get("found") or {}, service.get("erased") or {}, service.get("kept") or {}
        for thing in sorted(set(found) | set(erased) | set(kept)) or [""]:
            rows.append(
                (
                    service["service"],
                    service["answered"],
                    thing,
                    found.get(thing, ""),
                    erased.get(thing, ""),
                    kept.get(thing, ""),
                )
            )
    header = ("service", "answered", "kind", "found", "erased", "kept")
    return csv_response(header, rows, f"datenschutz-{request_id}.csv")
