"""The webhook sender: signed CloudEvents to city systems, with retries and disabling on persistent
failure."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from opentelemetry.trace import SpanKind
from sqlalchemy import select, update

from services.notifications import models
from services.notifications.config import NotificationsSettings
from services.notifications.handlers import allowlist
from services.notifications.handlers_delivery import claim, disable_webhook, mark_failed, mark_sent_many
from services.notifications.repository import SqlRepository, subscription_of
from services.notifications.webhooks import PinnedClient, Resolver, WebhookFailure, lookup, post, resolve
from shared.db import Database
from shared.envelope import utcnow
from shared.metrics import DELIVERIES
from shared.tracing import child_of_traceparent

D, S = models.deliveries, models.subscriptions


class WebhookSender:
    def __init__(
        self,
        db: Database,
        settings: NotificationsSettings,
        resolver: Resolver = resolve,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.db, self.settings, self.resolver = db, settings, resolver
        self.client = PinnedClient(settings.webhook_timeout_s, verify)

    async def step(self) -> int:
        # Every consumer commit wakes the senders; a read (no write lock) first spares the claim's
        # write transaction when no webhook is due, which is the common case.
        async with self.db.reading() as session:
            due = (
                await session.execute(
                    select(D.c.id)
                    .where(
                        D.c.channel == "webhook",
                        D.c.status.in_(("pending", "sending")),
                        D.c.next_attempt_at <= utcnow(),
                    )
                    .limit(1)
                )
            ).first()
        if due is None:
            return 0
        rows = await claim(self.db, "webhook", self.settings.sender_batch, self.settings.sending_lease_s)
        await asyncio.gather(*(self._send(row) for row in rows))
        return len(rows)

    async def _send(self, row: dict[str, Any]) -> None:
        async with self.db.reading() as session:
            sub = (await session.execute(select(S).where(S.c.id == row["subscription_id"]))).mappings().first()
            allow = await allowlist(SqlRepository(session), self.settings)
        if sub is None or not subscription_of(sub).receives:
            async with self.db.transaction() as session:
                await mark_failed(session, row, "subscription no longer active", False, 0, self.settings)
            DELIVERIES.labels("webhook", "dead").inc()
            return
        # Resolved once, outside any transaction (DNS), checked, and dialled at the checked address.
        target = await lookup(sub["url"], self.resolver)
        refusal = target.refusal(allow)
        try:
            if refusal:
                raise WebhookFailure(refusal)
            what = {"hallobot.delivery.id": row["id"], "hallobot.event.id": row["event_id"]}
            with child_of_traceparent("webhook send", row.get("traceparent"), SpanKind.CLIENT, what):
                await post(self.client, target, sub["secret"], row["id"], row["body"])
        except WebhookFailure as exc:
            async with self.db.transaction() as session:
                failures = sub["failures"] + 1
                await session.execute(update(S).where(S.c.id == sub["id"]).values(failures=S.c.failures + 1))
                dead = int(
                    await mark_failed(session, row, str(exc), True, self.settings.webhook_max_attempts, self.settings)
                )
                disabled = failures >= self.settings.webhook_disable_after
                if disabled:  # this row too, if it was to be retried: it is among the endpoint's queued ones
                    dead += await disable_webhook(session, sub["id"])
            DELIVERIES.labels("webhook", "failed").inc()
            if dead:
                DELIVERIES.labels("webhook", "dead").inc(dead)
            if not disabled and not dead:
                DELIVERIES.labels("webhook", "retried").inc()
        else:
            async with self.db.transaction() as session:
                await mark_sent_many(session, [row])
                await session.execute(update(S).where(S.c.id == sub["id"]).values(failures=0))
            DELIVERIES.labels("webhook", "sent").inc()
