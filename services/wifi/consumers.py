"""NATS subscribers of the wifi service: host reports on `hallobot.wifi.reports.<hotspot id>`.

A report on NATS carries the host credential as `Authorization: Bearer <token>` header, so a host
can report only for its own hotspot there too. Each report's inbox key is `<hotspot id>:<Nats-Msg-Id>`
(`report_key`): a host's own repeats are dropped, another host's id never matches. Malformed or
unauthorised reports go to the DLQ.

Reports are taken a fetched batch at a time (`batch_handler`, one transaction, a handful of
statements for the whole batch). A report that must be refused fails the whole batch; the consumer
group then retries each report of it alone, so the refused one lands in the DLQ with its reason and
the others are taken. Refusals are rare, so that detour is cheap on average.
"""

from __future__ import annotations

import hashlib
from typing import Any

from nats.aio.msg import Msg
from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi.config import WifiSettings
from services.wifi.handlers_reports import record_reports
from services.wifi.ports import HostReport
from services.wifi.schemas import ReportIn
from services.wifi.store import SqlWifiStore
from shared.consumer import Delivery, PermanentError, Subscription, json_decoder, message_key
from shared.envelope import utcnow
from shared.errors import DomainError

REPORTS_SUBJECT = "hallobot.wifi.reports.>"


def _host_report(msg: Msg, report: Any) -> HostReport:  # report: the ReportIn just validated
    """Which hotspot (the subject's last token) and which credential (the Authorization header)."""
    authorization = (msg.headers or {}).get("Authorization", "")
    token = authorization.removeprefix("Bearer ").strip() or None
    return HostReport(msg.subject.rsplit(".", 1)[-1], report, token)


INBOX_KEY_MAX = 200  # the inbox's message_id column


def report_key(msg: Msg, _report: Any) -> str:
    """The inbox key of a report: `<hotspot id>:<Nats-Msg-Id>`. The host chooses its message id, so
    the id alone would let one host's report claim the key of another host's (and silence it for
    the inbox's month); the hotspot comes from the subject, which a host cannot choose."""
    key = f"{msg.subject.rsplit('.', 1)[-1]}:{message_key(msg)}"
    if len(key) > INBOX_KEY_MAX:  # a host's overlong id: still its own, and it fits the column
        key = f"{msg.subject.rsplit('.', 1)[-1]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"[:INBOX_KEY_MAX]
    return key


decode_report = json_decoder(ReportIn, key=report_key, payload=_host_report)


def report_subscription(settings: WifiSettings, *, limited: bool = False) -> Subscription:
    """`limited`: WIFI_REPORT_LIMIT per hotspot (reports over it are dropped: a host gets no answer on
    NATS), counted in the hotspot's row; False counts nothing (tests and bench/reports.py of the bare path)."""

    async def take_reports(session: AsyncSession, deliveries: list[Delivery]) -> None:
        batch: list[HostReport] = [delivery.payload for delivery in deliveries]
        if not all(item.token for item in batch):
            raise PermanentError("missing host credential (Authorization: Bearer header)")
        try:
            await record_reports(
                SqlWifiStore(session),
                batch,
                now=utcnow(),
                settings=settings,
                via="nats",
                limit=settings.report_rate if limited else None,
            )
        except DomainError as exc:
            raise PermanentError(f"{exc.field or 'report'}: {exc.message}") from exc

    # Batches of up to 500: the per-transaction cost (begin, status rows, commit) is shared by more
    # reports. bench/reports.py, raw pull-consume at the same fetch size (which does not get faster
    # with it): 0.41 at 100, 0.48-0.52 at 250, 0.51-0.57 at 500 once the batch's own work was lean.
    return Subscription(
        name="wifi-reports",
        stream="WIFI_REPORTS",
        subject=REPORTS_SUBJECT,
        batch_handler=take_reports,
        decode=decode_report,
        payload_types=(ReportIn,),
        batch_size=500,
        # Its dead letters cannot be replayed: the host's credential (the Authorization header) is
        # redacted from them, so a replay could only be refused again.
        replayable=False,
        description="Statusmeldungen der Hosts / host status reports (header Authorization: Bearer <host token>)",
    )
