"""The reconcile job: the credential index (NATS KV) rewritten from the tables, at start and every
NOTIFICATIONS_CREDENTIALS_RECONCILE_S, so that a failed write after a commit heals; expired
sessions and reset links are dropped from the tables on the way."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import delete

from services.notifications.accounts_store import AccountStore
from services.notifications.models_accounts import operator_sessions, password_resets
from shared.console.credentials import CredentialIndex
from shared.envelope import utcnow

log = logging.getLogger("hallobot.console")


async def reconcile(runtime: Any, index: CredentialIndex) -> int:
    """Make the bucket hold exactly the live credentials; returns how many it holds."""
    now = utcnow()
    async with runtime.db.transaction() as session:
        await session.execute(delete(operator_sessions).where(operator_sessions.c.expires_at <= now))
        await session.execute(delete(password_resets).where(password_resets.c.expires_at <= now))
        live = await AccountStore(session).live_credentials(now)
    for digest in await index.keys() - live.keys():
        await index.delete(digest)
    for digest, credential in live.items():
        if not index.holds(digest, credential):  # a write wakes every service's watch: only what differs
            await index.put(digest, credential)
    return len(live)


async def keep_index(runtime: Any, index: CredentialIndex) -> None:
    while True:
        try:
            held = await reconcile(runtime, index)
            log.debug("credential index reconciled", extra={"credentials": held})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("credential index not reconciled: %s", exc)
        await asyncio.sleep(runtime.settings.credentials_reconcile_s)
