"""Password reset by mail: a link that works once, for an hour (NOTIFICATIONS_RESET_LINK_S), sent
through the mail staging (deliveries) like every mail. The link's token is stored as a digest, and
the staged mail holds a placeholder until the server has it (mail_mime.CANCEL_LINK)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote

from services.notifications import accounts_domain as rules
from services.notifications.accounts_handlers import IndexChanges
from services.notifications.accounts_store import AccountStore
from services.notifications.config import NotificationsSettings
from services.notifications.handlers_fanout import mail_row
from services.notifications.mailer import CANCEL_LINK
from services.notifications.repository import SqlRepository
from shared.auth import hash_token
from shared.errors import NotFound
from shared.web.i18n import N_

RESET_PATH = "/verwaltung/passwort-neu"
LINK_INVALID = N_("Dieser Link ist abgelaufen oder wurde schon benutzt. Bitte fordern Sie einen neuen an.")


async def request_reset(
    store: AccountStore, settings: NotificationsSettings, email: str, language: str, now: datetime
) -> bool:
    """Stage the mail if the address has an account (the page answers alike either way)."""
    account = await store.account_by_email(rules.normal_email(email))
    if account is None:
        return False
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=settings.reset_link_s)
    await store.add_reset(dict(digest=hash_token(token), account_id=account["id"], expires_at=expires, used_at=None))
    link = settings.link(f"{RESET_PATH}?token={quote(token)}")
    row = mail_row(
        settings,
        event_id=f"password-reset:{uuid.uuid4()}",
        event_type="console.password_reset",
        template="password_reset",
        recipient=account["email"],
        lang=language,
        context={"name": account["name"], "reset_url": CANCEL_LINK, "valid_minutes": round(settings.reset_link_s / 60)},
        secret_link=link,
    )
    await SqlRepository(store.session).stage([row])
    return True


async def valid_reset(store: AccountStore, token: str, now: datetime) -> str:
    """The account id the link is for; NotFound when it is unknown, used or expired."""
    reset = await store.reset(hash_token(token)) if token else None
    if reset is None or reset["used_at"] is not None or reset["expires_at"] <= now:
        raise NotFound(LINK_INVALID, field="token")
    return str(reset["account_id"])


async def reset_password(store: AccountStore, token: str, password_hash: str, now: datetime) -> IndexChanges:
    """A new password (hashed before the transaction); the link is used up, every session of the
    account ends, the lock is lifted."""
    account_id = await valid_reset(store, token, now)
    await store.use_reset(hash_token(token), now)
    sessions = await store.sessions_of(account_id)
    for session in sessions:
        await store.delete_session(session["digest"])
    await store.update_account(
        account_id, password_hash=password_hash, failed_logins=0, last_failed_at=None, locked_until=None, updated_at=now
    )
    return IndexChanges(deletes={session["digest"] for session in sessions})
