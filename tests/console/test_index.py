"""The credential index on a real nats-server and the accounts' tables on SQLite and PostgreSQL:
a change spreads to another process's mirror through the watch, and the reconcile job makes the
bucket hold exactly the live credentials again after a write was lost or a stray key appeared."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from types import SimpleNamespace

from services.notifications import accounts_handlers as handlers
from services.notifications.accounts_index import reconcile
from services.notifications.accounts_store import AccountStore
from services.notifications.config import NotificationsSettings
from shared.auth import hash_token
from shared.console.credentials import Credential, CredentialIndex
from shared.db import Database
from shared.envelope import utcnow
from shared.migrations import upgrade_async
from tests.support.stream import eventually


def index_on(nc) -> CredentialIndex:
    index = CredentialIndex()
    index.connect(lambda: nc)
    return index


async def test_a_new_and_a_revoked_credential_reach_another_mirror_through_the_watch(nc):
    writer, reader = index_on(nc), index_on(nc)
    reader.start()
    try:
        await asyncio.wait_for(reader.synced.wait(), 10)
        digest, entry = secrets.token_hex(32), Credential("konto-1", "wifi", "token", None)
        await writer.put(digest, entry)
        assert await eventually(lambda: _holds(reader, digest, entry), timeout=5)
        await writer.delete(digest)
        assert await eventually(lambda: _gone(reader, digest), timeout=5)
        assert await reader.lookup(digest) is None  # not in the mirror, and the direct get finds nothing
    finally:
        await reader.stop()


async def _holds(index: CredentialIndex, digest: str, entry: Credential) -> bool:
    return index.holds(digest, entry)


async def _gone(index: CredentialIndex, digest: str) -> bool:
    return not index.holds(digest, Credential("konto-1", "wifi", "token", None))


async def test_keys_lists_every_key_just_written_and_none_deleted(nc):
    index = index_on(nc)
    assert await index.keys() == set()
    written: set[str] = set()
    for n in range(30):  # each read right after its write: nats-py's keys() could end before the new key
        digest = secrets.token_hex(32)
        await index.put(digest, Credential(f"konto-{n}", "wifi", "token", None))
        written.add(digest)
        if n % 3 == 0:
            await index.delete(digest)
            written.discard(digest)
        assert await index.keys() == written


async def test_the_reconcile_job_rewrites_the_bucket_from_the_tables(nc, database_url, tmp_path):
    await upgrade_async("notifications", database_url)
    db = Database(database_url)
    settings = NotificationsSettings(data_dir=tmp_path)
    index = index_on(nc)
    try:
        now = utcnow()
        async with db.transaction() as session:
            store = AccountStore(session)
            account = await handlers.create_account(store, "Frau Büro", "buero@bottrop.example", "office", "x", now)
            secret, _ = await handlers.open_session(store, settings, account["id"], now)
            token, _ = await handlers.create_token(store, account["id"], "Skript", now)
            gone = await handlers.create_account(store, "Herr Weg", "weg@bottrop.example", "wifi", "x", now)
            old_session, _ = await handlers.open_session(store, settings, gone["id"], now - timedelta(days=1))
        runtime = SimpleNamespace(db=db)
        # nothing was written to the bucket after these commits (as if NATS had been away), and a
        # stray key is there
        stray = secrets.token_hex(32)
        await index.put(stray, Credential("niemand", "admin", "token", None))
        assert await reconcile(runtime, index) == 2
        assert await index.keys() == {hash_token(secret), hash_token(token)}
        assert await index.lookup(hash_token(token)) == Credential(account["id"], "office", "token", None)
        assert await index.lookup(hash_token(old_session)) is None  # expired: gone from the tables too
        async with db.reading() as session:
            assert await AccountStore(session).session_row(hash_token(old_session)) is None
    finally:
        await db.dispose()
