"""/verwaltung/zustellungen: what did not arrive, for the office. Mails and webhook calls that failed
(reason, attempts, next try; a dead one can be sent again) and the dead letters of the consumers
(reason, attempts; replayed to the consumer that gave up on them, shared/consumer/replay.py).

Area "deliveries". The whole page hangs on one guard, `console_actor`: a console session whose role
has the area (shared/console/pages.py); it names who replays. The
words people read are in pages_deliveries_words.py; no id, type string or consumer name is shown."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.notifications import handlers_delivery, queries
from services.notifications.pages import pages
from services.notifications.pages_deliveries_words import letter_view, options
from shared.console.pages import console_operator
from shared.console.roles import Operator
from shared.consumer.dead_letter_log import dead_letters, request_replay, takes_replays
from shared.inputs import Id
from shared.service import RuntimeDep
from shared.web.forms import read_form, see_other

router = APIRouter()
PAGE = "/verwaltung/zustellungen"
AREA = "deliveries"  # the console's area of this page (shared/console/roles.py)


async def console_actor(operator: Annotated[Operator, Depends(console_operator(AREA))]) -> str:
    """The one guard of these pages (a console session with the area "deliveries"); returns who acts,
    recorded with a replay."""
    return operator.account_id


Actor = Annotated[str, Depends(console_actor)]
CONSUMER_NAME = r"[A-Za-z0-9_-]{1,100}"
Consumer = Annotated[str | None, Query(pattern=f"^{CONSUMER_NAME}$")]
Note = Annotated[str | None, Query(max_length=20)]


@router.get(PAGE)
async def deliveries_page(
    request: Request, _: Actor, runtime: RuntimeDep, bereich: Consumer = None, angestossen: Note = None
) -> HTMLResponse:
    async with runtime.db.reading() as session:
        dead = await queries.deliveries(session, status="dead", limit=100)
        retrying = await queries.retrying_deliveries(session, limit=100)
    js = runtime.jetstream()
    every = await dead_letters(js, None, 1000)
    shown = [letter for letter in every if bereich in (None, letter.consumer)][:200]
    replaying = await takes_replays(js, {letter.consumer for letter in shown})
    return pages.render(
        request,
        "deliveries/index.html",
        dead=dead,
        retrying=retrying,
        letters=[letter_view(letter, letter.consumer in replaying) for letter in shown],
        areas=options({letter.consumer for letter in every}),
        chosen=bereich or "",
        started=angestossen in ("nachricht", "zustellung"),
    )


@router.post(PAGE + "/nachrichten/{seq}/erneut")
async def replay_letter(
    request: Request, seq: Annotated[int, Path(ge=1, le=2**63 - 1)], actor: Actor, runtime: RuntimeDep
) -> Response:
    form = await read_form(request, honeypot=False)
    await request_replay(runtime.jetstream(), seq, actor)
    return see_other(_back(form.get("bereich"), "nachricht"))


@router.post(PAGE + "/{delivery_id}/erneut")
async def replay_delivery(
    request: Request, delivery_id: Annotated[Id, Path()], _: Actor, runtime: RuntimeDep
) -> Response:
    form = await read_form(request, honeypot=False)
    async with runtime.db.transaction() as session:
        await handlers_delivery.replay(session, delivery_id)
        request.app.state.wake.after_commit(session)
    return see_other(_back(form.get("bereich"), "zustellung"))


def _back(area: str | None, what: str) -> str:
    """Back to the page with a note, and the chosen area if it is one (never anything else)."""
    keep = f"&bereich={area}" if area and re.fullmatch(CONSUMER_NAME, area) else ""
    return f"{PAGE}?angestossen={what}{keep}"
