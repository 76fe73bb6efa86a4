"""Background loops of the notifications service: the mail and webhook senders, the daily digest
and forgetting old data. Each gets the service's settings as `runtime.settings` and the instance's
`Wake` from app.py; the work itself is in mail_sender.py, webhook_sender.py and handlers_delivery.py."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from services.notifications.config import NotificationsSettings
from services.notifications.handlers_delivery import forget, make_digests
from services.notifications.mail_sender import MailSender, SentMarks
from services.notifications.mailer import BERLIN
from services.notifications.wake import Wake
from services.notifications.webhook_sender import WebhookSender
from shared.envelope import utcnow

log = logging.getLogger("hallobot.notifications.jobs")


async def loop(name: str, step: Callable[[], Awaitable[int]], poll_s: float, wake: Wake) -> None:
    """Run `step` again at once while it finds work; else wait for the next commit or `poll_s`."""
    waiter = wake.waiter()
    while True:
        waiter.clear()  # before the step: a commit from now on brings the next step at once
        try:
            busy = await step()
        except Exception:  # the next pass tries again; a job must not take the service down
            log.exception("%s failed", name)
            busy = 0
        if not busy:
            try:
                await asyncio.wait_for(waiter.wait(), poll_s)
            except TimeoutError:
                pass


async def mail_sender(runtime: Any, wake: Wake) -> None:
    settings: NotificationsSettings = runtime.settings
    host = settings.smtp_host or "127.0.0.1"
    marks = SentMarks(runtime.db, settings.mark_gather_s)  # shared: the connections' marks are committed together
    senders = [
        MailSender(runtime.db, host, settings.smtp_port, settings, marks) for _ in range(settings.sender_connections)
    ]
    try:
        await asyncio.gather(
            *(
                loop(f"mail sender {n}", sender.step, settings.sender_poll_s, wake)
                for n, sender in enumerate(senders, 1)
            )
        )
    finally:
        for sender in senders:
            await sender.close()


async def webhook_sender(runtime: Any, wake: Wake) -> None:
    settings: NotificationsSettings = runtime.settings
    sender = WebhookSender(runtime.db, settings)
    try:
        await loop("webhook sender", sender.step, settings.sender_poll_s, wake)
    finally:
        await sender.client.aclose()


async def daily_jobs(runtime: Any, wake: Wake) -> None:
    settings: NotificationsSettings = runtime.settings
    last_digest_day = None
    while True:
        now = utcnow()
        local = now.astimezone(BERLIN)
        try:
            if local.hour >= settings.digest_hour and local.date() != last_digest_day:
                if await make_digests(runtime.db, settings, now):
                    wake.set()
                await forget(runtime.db, settings, now)
                last_digest_day = local.date()
        except Exception:
            log.exception("daily jobs failed")
        await asyncio.sleep(60)
