"""Use cases of the console's accounts: one transaction each (state + outbox), then the changes to
the credential index, which the caller applies after the commit (`apply`); the reconcile job
(accounts_index.py) heals a write that failed. Account events carry the account id and role only."""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pwdlib import PasswordHash

from services.notifications import accounts_domain as rules
from services.notifications import models
from services.notifications.accounts_store import AccountStore, Row
from services.notifications.config import NotificationsSettings
from shared.auth import hash_token, new_token
from shared.catalog import (
    AccountCreated,
    AccountDeleted,
    AccountRoleChanged,
    AccountTokenCreated,
    AccountTokenRevoked,
)
from shared.console.credentials import Credential, CredentialIndex
from shared.errors import Conflict, Invalid, NotFound
from shared.outbox import add_event
from shared.web.i18n import N_

log = logging.getLogger("hallobot.console")
hasher = PasswordHash.recommended()  # Argon2id; stateless, its parameters are constants
# Checked against when the address is unknown, so that a wrong address costs the same time as a wrong password.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$CElxX9MyPSAoLOu0Zcb7+A$b/r5YttFgJ88MK/AvU8m6VSK72BBgGs1eWjHKw94rIk"


@dataclass
class IndexChanges:
    puts: dict[str, Credential] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)


async def apply(index: CredentialIndex, changes: IndexChanges) -> None:
    """After the commit. A failure is logged: the tables are the truth, the reconcile job heals it."""
    try:
        for digest in changes.deletes:
            await index.delete(digest)
        for digest, credential in changes.puts.items():
            await index.put(digest, credential)
    except Exception as exc:
        log.warning("credential index not updated (the reconcile job will): %s", exc)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hasher.hash, rules.check_password(password))


async def create_account(
    store: AccountStore, name: str, email: str, role: str, password_hash: str, now: datetime
) -> Row:
    """`password_hash` from `hash_password`, made before the transaction (Argon2 takes a while)."""
    email, role = rules.normal_email(email), rules.check_role(role)
    if not name.strip():
        raise Invalid(N_("Bitte geben Sie einen Namen an."), field="name")
    if await store.email_taken(email):
        raise Conflict(N_("Für diese E-Mail-Adresse gibt es schon ein Konto."), field="email")
    row = dict(
        id=str(uuid.uuid4()),
        name=name.strip(),
        email=email,
        role=role,
        password_hash=password_hash,
        failed_logins=0,
        created_at=now,
        updated_at=now,
    )
    await store.add_account(row)
    await add_event(store.session, models.outbox, AccountCreated(account_id=row["id"], role=role))
    return row


async def count_attempt(store: AccountStore, settings: NotificationsSettings, email: str, now: datetime) -> Row | None:
    """A login attempt, counted as a failure before the password is checked (outside the write
    transaction: Argon2 takes a while), so that parallel guesses all count. Raises TooManyRequests
    while the account is locked or the delay after the last failure has not passed."""
    account = await store.account_by_email(rules.normal_email(email))
    if account is None:
        return None
    rules.check_attempt(_state(account), settings.login_policy, now)
    state = rules.after_failure(_state(account), settings.login_policy, now)
    await store.update_account(
        account["id"],
        failed_logins=state.failed_logins,
        last_failed_at=state.last_failed_at,
        locked_until=state.locked_until,
    )
    return account


async def password_matches(account: Row | None, password: str) -> bool:
    """Argon2 in a worker thread; an unknown address costs the same time as a wrong password."""
    stored = account["password_hash"] if account and account["password_hash"] else _DUMMY_HASH
    good = await asyncio.to_thread(hasher.verify, password[: rules.MAX_PASSWORD_LENGTH], stored)
    return bool(good and account)


async def open_session(
    store: AccountStore, settings: NotificationsSettings, account_id: str, now: datetime
) -> tuple[str, IndexChanges]:
    """The password was right: the count starts over and a session begins; its secret goes into the cookie."""
    account = await _existing(store, account_id)
    await store.update_account(account_id, failed_logins=0, last_failed_at=None, locked_until=None)
    secret = secrets.token_urlsafe(32)
    expires = settings.session_policy.expires(now, now)
    digest = hash_token(secret)
    await store.add_session(dict(digest=digest, account_id=account_id, created_at=now, seen_at=now, expires_at=expires))
    return secret, IndexChanges(puts={digest: Credential(account_id, account["role"], "session", expires)})


def _state(account: Row) -> rules.LoginState:
    return rules.LoginState(account["failed_logins"], account["last_failed_at"], account["locked_until"])


async def logout(store: AccountStore, secret: str) -> IndexChanges:
    digest = hash_token(secret)
    await store.delete_session(digest)
    return IndexChanges(deletes={digest})


async def touch_session(
    store: AccountStore, settings: NotificationsSettings, secret: str, now: datetime
) -> IndexChanges:
    """A console page of notifications was used: the idle time starts again (written at most every
    few minutes). Other services only read the index, so the console's start page keeps it alive."""
    digest = hash_token(secret)
    row = await store.session_row(digest)
    policy = settings.session_policy
    if row is None or row["expires_at"] <= now or now - row["seen_at"] < policy.refresh_after:
        return IndexChanges()
    account = await store.account(row["account_id"])
    if account is None:
        return IndexChanges()
    expires = policy.expires(row["created_at"], now)
    await store.update_session(digest, seen_at=now, expires_at=expires)
    return IndexChanges(puts={digest: Credential(account["id"], account["role"], "session", expires)})


async def _credentials_of(store: AccountStore, account_id: str) -> list[tuple[str, str, datetime | None]]:
    sessions = [(row["digest"], "session", row["expires_at"]) for row in await store.sessions_of(account_id)]
    return sessions + [(row["digest"], "token", None) for row in await store.tokens_of(account_id)]


async def change_role(store: AccountStore, account_id: str, role: str, now: datetime) -> IndexChanges:
    role = rules.check_role(role)
    account = await _existing(store, account_id)
    if account["role"] == role:
        return IndexChanges()
    if account["role"] == "admin" and await store.admins() <= 1:
        raise Conflict(N_("Das letzte Verwaltungskonto behält seine Rolle."), field="role")
    await store.update_account(account_id, role=role, updated_at=now)
    event = AccountRoleChanged(account_id=account_id, role=role, previous_role=account["role"])
    await add_event(store.session, models.outbox, event)
    credentials = await _credentials_of(store, account_id)
    return IndexChanges(puts={d: Credential(account_id, role, kind, exp) for d, kind, exp in credentials})  # type: ignore[arg-type]


async def delete_account(store: AccountStore, account_id: str, now: datetime) -> IndexChanges:
    """The account's sessions and tokens end at once; its id and role stay for the audit trail."""
    account = await _existing(store, account_id)
    if account["role"] == "admin" and await store.admins() <= 1:
        raise Conflict(N_("Das letzte Verwaltungskonto kann nicht gelöscht werden."))
    digests = {digest for digest, _, _ in await _credentials_of(store, account_id)}
    await store.forget_credentials(account_id)
    await store.update_account(
        account_id, name="", email=f"{account_id}@deleted.invalid", password_hash="", deleted_at=now, updated_at=now
    )
    await add_event(store.session, models.outbox, AccountDeleted(account_id=account_id, role=account["role"]))
    return IndexChanges(deletes=digests)


async def create_token(store: AccountStore, account_id: str, label: str, now: datetime) -> tuple[str, IndexChanges]:
    """A new API token for scripts: returned once, stored as its digest."""
    account = await _existing(store, account_id)
    if not label.strip():
        raise Invalid(N_("Bitte geben Sie dem Zugangsschlüssel einen Namen."), field="label")
    token, token_id = new_token("hbo"), str(uuid.uuid4())
    digest = hash_token(token)
    await store.add_token(dict(id=token_id, account_id=account_id, label=label.strip(), digest=digest, created_at=now))
    event = AccountTokenCreated(account_id=account_id, role=account["role"], token_id=token_id)
    await add_event(store.session, models.outbox, event)
    return token, IndexChanges(puts={digest: Credential(account_id, account["role"], "token", None)})


async def revoke_token(store: AccountStore, account_id: str, token_id: str) -> IndexChanges:
    account = await _existing(store, account_id)
    token = await store.token(account_id, token_id)
    if token is None:
        raise NotFound(N_("Diesen Zugangsschlüssel gibt es nicht."), field="token_id")
    await store.delete_token(token_id)
    event = AccountTokenRevoked(account_id=account_id, role=account["role"], token_id=token_id)
    await add_event(store.session, models.outbox, event)
    return IndexChanges(deletes={token["digest"]})


async def _existing(store: AccountStore, account_id: str) -> Row:
    account = await store.account(account_id)
    if account is None:
        raise NotFound(N_("Dieses Konto gibt es nicht."), field="account_id")
    return account


def public(account: Row) -> dict[str, Any]:
    """What the account pages and the API show of an account (never the hash or the counters)."""
    keys = ("id", "name", "email", "role", "created_at", "locked_until")
    return {key: account.get(key) for key in keys}
