"""NATS subscribers of the wifi service: host reports on `hallobot.wifi.reports.<hotspot id>`.

A report on NATS carries the host credential as `Authorization: Bearer <token>` header, so a host
can report only for its own hotspot there too. Malformed or unauthorised reports go to the DLQ.
"""

from __future__ import annotations

from nats.aio.msg import Msg
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi import handlers
from services.wifi.handlers import Tuning
from services.wifi.schemas import ReportIn
from shared.consumer import Delivery, PermanentError, Subscription, json_decoder
from shared.envelope import utcnow
from shared.errors import DomainError

REPORTS_SUBJECT = "hallobot.wifi.reports.>"
_decode_json = json_decoder(ReportIn)


class HostReport(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    report: ReportIn
    token: str | None


def decode_report(msg: Msg) -> Delivery:
    delivery = _decode_json(msg)
    authorization = (msg.headers or {}).get("Authorization", "")
    token = authorization.removeprefix("Bearer ").strip() or None
    return Delivery(delivery.message_id, delivery.subject, HostReport(report=delivery.payload, token=token))


def report_subscription(tuning: Tuning) -> Subscription:
    async def take_report(session: AsyncSession, delivery: Delivery) -> None:
        hotspot_id = delivery.subject.rsplit(".", 1)[-1]
        incoming: HostReport = delivery.payload
        if not incoming.token:
            raise PermanentError("missing host credential (Authorization: Bearer header)")
        try:
            await handlers.record_report(session, hotspot_id, incoming.report, now=utcnow(), tuning=tuning,
                                         via="nats", token=incoming.token)
        except DomainError as exc:
            raise PermanentError(f"{exc.field or 'report'}: {exc.message}") from exc

    return Subscription(
        name="wifi-reports", stream="WIFI_REPORTS", subject=REPORTS_SUBJECT, handler=take_report,
        decode=decode_report, payload_types=(ReportIn,),
        description="Statusmeldungen der Hosts / host status reports (header Authorization: Bearer <host token>)",
    )
