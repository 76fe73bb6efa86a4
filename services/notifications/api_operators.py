"""HTTP routes for operators: subscriptions, the delivery log and replay, the webhook allowlist."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import Field

from services.notifications import handlers, handlers_delivery, queries
from services.notifications.api import SubscriptionId, WakeDep
from services.notifications.repository import SqlRepository
from services.notifications.schemas import AllowlistEntry, DeliveryPublic, SubscriptionAdmin
from shared.auth import OperatorDep
from shared.inputs import LINE, Id
from shared.service import ReadingDep, TransactionDep

log = logging.getLogger("hallobot.notifications.operators")
router = APIRouter(tags=["operators"])
Recipient = Annotated[str, Field(max_length=2000), LINE]


@router.get("/subscriptions", response_model=list[SubscriptionAdmin], summary="Alle Abonnements (Operator)")
async def list_subscriptions(
    _: OperatorDep,
    session: ReadingDep,
    channel: Literal["email", "webhook"] | None = None,
    limit: int = Query(200, ge=1, le=1000),
) -> list[SubscriptionAdmin]:
    return [SubscriptionAdmin(**row) for row in await queries.subscriptions(session, channel, limit)]


@router.delete(
    "/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Abonnement beenden (Operator)"
)
async def end_subscription(subscription_id: SubscriptionId, _: OperatorDep, session: TransactionDep) -> None:
    await handlers.end_subscription(SqlRepository(session), subscription_id)


@router.post(
    "/subscriptions/{subscription_id}/enable",
    response_model=SubscriptionAdmin,
    summary="Einen abgeschalteten Webhook wieder einschalten (Operator)",
)
async def enable_webhook(subscription_id: SubscriptionId, _: OperatorDep, session: TransactionDep) -> SubscriptionAdmin:
    return SubscriptionAdmin(**asdict(await handlers.enable_webhook(SqlRepository(session), subscription_id)))


@router.get(
    "/deliveries",
    response_model=list[DeliveryPublic],
    summary="Zustellprotokoll: was ging wann an wen, mit welchem Ergebnis (Operator)",
)
async def deliveries(
    _: OperatorDep,
    session: ReadingDep,
    status_: Literal["held", "pending", "sending", "sent", "dead", "digested"] | None = Query(None, alias="status"),
    channel: Literal["email", "webhook"] | None = None,
    recipient: Recipient | None = Query(None, description="an address, URL or pseudonym (psn_…)"),
    event_id: Id | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[DeliveryPublic]:
    rows = await queries.deliveries(
        session, status=status_, channel=channel, recipient=recipient, event_id=event_id, limit=limit
    )
    return [DeliveryPublic(**row) for row in rows]


@router.post(
    "/deliveries/{delivery_id}/replay",
    response_model=DeliveryPublic,
    summary="Eine gescheiterte (tote) Zustellung erneut versuchen (Operator)",
)
async def replay(
    delivery_id: Annotated[Id, Path()], _: OperatorDep, session: TransactionDep, wake: WakeDep
) -> DeliveryPublic:
    row = await handlers_delivery.replay(session, delivery_id)
    wake.after_commit(session)
    return DeliveryPublic(**row)


@router.get(
    "/webhook-allowlist",
    response_model=list[AllowlistEntry],
    summary="Private Ziele, die Webhooks erreichen dürfen (Operator)",
)
async def get_allowlist(_: OperatorDep, session: ReadingDep) -> list[AllowlistEntry]:
    return [AllowlistEntry(entry=entry) for entry in await queries.allowlist_entries(session)]


@router.post(
    "/webhook-allowlist",
    response_model=AllowlistEntry,
    status_code=status.HTTP_201_CREATED,
    summary="Ein privates Ziel (Host oder CIDR) für Webhooks freigeben (Operator)",
)
async def add_allowlist(body: AllowlistEntry, operator: OperatorDep, session: TransactionDep) -> AllowlistEntry:
    entry = await handlers.allow(SqlRepository(session), body.entry)
    # Opens private targets to webhooks: in the log with who did it (and the request's id).
    log.info("webhook allowlist entry added", extra={"entry": entry, "actor": operator.account_id})
    return AllowlistEntry(entry=entry)


@router.delete(
    "/webhook-allowlist/{entry:path}", status_code=status.HTTP_204_NO_CONTENT, summary="Freigabe entfernen (Operator)"
)
async def remove_allowlist(
    entry: Annotated[str, Path(max_length=255)], operator: OperatorDep, session: TransactionDep
) -> None:
    await handlers.disallow(SqlRepository(session), entry)
    log.info("webhook allowlist entry removed", extra={"entry": entry, "actor": operator.account_id})
