"""HTTP routes of the Fairtrade-Town campaign: public status, changes by the office."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status

from services.directory import fairtrade_handlers as campaign
from services.directory.deps import SettingsDep, StoreDep
from services.directory.fairtrade_queries import campaign_view
from services.directory.fairtrade_schemas import (
    ActionCreate,
    ActionPublic,
    CampaignPublic,
    CampaignRecords,
    CampaignUpdate,
    MeetingCreate,
    MeetingRecord,
    PressCreate,
    PressPublic,
    TitleRecord,
)
from services.directory.pages_fairtrade import campaign_page
from services.directory.store import SqlStore
from shared.auth import OperatorDep
from shared.envelope import utcnow
from shared.errors import Invalid
from shared.inputs import Day
from shared.service import ReadingDep
from shared.web.errors import wants_html

router = APIRouter(prefix="/fairtrade", tags=["fairtrade"])
RecordId = Annotated[str, Path(max_length=36)]


@router.get(
    "",
    response_model=CampaignPublic,
    summary="Stand der Fairtrade-Town-Kampagne / campaign status (a browser gets the Fairtrade-Town page)",
)
async def get_campaign(request: Request, session: ReadingDep, settings: SettingsDep) -> dict[str, Any] | Response:
    if wants_html(request):  # a person's /fairtrade through the front door (pages_fairtrade.py)
        return await campaign_page(request, session, settings)
    return await campaign_view(session, now=utcnow(), settings=settings)


@router.get(
    "/records",
    response_model=CampaignRecords,
    summary="Aktionen, Presse, Sitzungen und Titeldaten eines Zeitraums / the records of a period (office)",
)
async def campaign_records(
    session: ReadingDep,
    _: OperatorDep,
    start: Annotated[Day, Query(description="first day (included)")],
    end: Annotated[Day, Query(description="last day (included)")],
) -> dict[str, Any]:
    if end < start:
        raise Invalid("Das Ende liegt vor dem Anfang / end before start", field="end")
    store = SqlStore(session)
    return {
        "start": start,
        "end": end,
        "actions": await store.records_between("actions", start, end),
        "press": await store.records_between("press", start, end),
        "meetings": await store.records_between("meetings", start, end),
        "titles": await store.records_between("titles", start, end),
    }


@router.patch(
    "",
    response_model=CampaignPublic,
    summary="Ratsbeschluss, Steuerungsgruppe, Einwohnerzahl ändern / update the campaign (office)",
)
async def update_campaign(
    body: CampaignUpdate, store: StoreDep, _: OperatorDep, settings: SettingsDep
) -> dict[str, Any]:
    now = utcnow()
    await campaign.update_campaign(store, body.model_dump(exclude_unset=True), now=now, settings=settings)
    return await campaign_view(store.session, now=now, settings=settings)


@router.post(
    "/title",
    response_model=CampaignPublic,
    summary="Titel verliehen/erneuert / title awarded or renewed (office); valid for two years",
)
async def record_title(body: TitleRecord, store: StoreDep, _: OperatorDep, settings: SettingsDep) -> dict[str, Any]:
    now = utcnow()
    await campaign.record_title(store, body.kind, body.on, now=now)
    return await campaign_view(store.session, now=now, settings=settings)


@router.post(
    "/actions",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionPublic,
    summary="Aktion der Zivilgesellschaft / a civil society action (office)",
)
async def add_action(body: ActionCreate, store: StoreDep, _: OperatorDep, settings: SettingsDep) -> dict[str, Any]:
    return await campaign.add_record(store, "actions", body.model_dump(), now=utcnow(), settings=settings)


@router.post(
    "/press",
    status_code=status.HTTP_201_CREATED,
    response_model=PressPublic,
    summary="Presseartikel / a press article (office)",
)
async def add_press(body: PressCreate, store: StoreDep, _: OperatorDep, settings: SettingsDep) -> dict[str, Any]:
    fields = body.model_dump(mode="json") | {"published_on": body.published_on}
    return await campaign.add_record(store, "press", fields, now=utcnow(), settings=settings)


@router.post(
    "/meetings",
    status_code=status.HTTP_201_CREATED,
    response_model=MeetingRecord,
    summary="Sitzung der Steuerungsgruppe / a steering group meeting (office)",
)
async def add_meeting(body: MeetingCreate, store: StoreDep, _: OperatorDep, settings: SettingsDep) -> dict[str, Any]:
    return await campaign.add_record(store, "meetings", body.model_dump(), now=utcnow(), settings=settings)


@router.delete(
    "/{kind}/{record_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Aktion, Artikel, Sitzung oder Titeldatum löschen / delete an action, article, meeting or title date"
    " (office)",
)
async def delete_record(
    kind: Literal["actions", "press", "meetings", "titles"],
    record_id: RecordId,
    store: StoreDep,
    _: OperatorDep,
    settings: SettingsDep,
) -> None:
    await campaign.delete_record(store, kind, record_id, now=utcnow(), settings=settings)
