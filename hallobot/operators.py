"""`hallobot operator create --role admin EMAIL`: the first account of the console (and any later
one), written to notifications' database through its use case, so the account event goes out
through the outbox like every other (the actor is `bootstrap`: whoever runs this holds the machine)."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys

PASSWORD_VARIABLE = "HALLOBOT_OPERATOR_PASSWORD"


def ask(name: str | None, password: str | None) -> tuple[str, str]:
    """Name and password from the options and the environment, else asked on the terminal."""
    name = name or input("Name: ").strip()
    password = password or os.environ.get(PASSWORD_VARIABLE, "")
    if not password:
        password = getpass.getpass("Passwort (mindestens 12 Zeichen): ")
        if getpass.getpass("Noch einmal: ") != password:
            raise ValueError("the two passwords differ")
    return name, password


async def create(email: str, role: str, name: str, password: str) -> str:
    from hallobot.services import settings_for
    from services.notifications import accounts_handlers as handlers
    from services.notifications.accounts_store import AccountStore
    from shared.console.actor import set_actor
    from shared.console.roles import BOOTSTRAP
    from shared.db import Database
    from shared.envelope import utcnow
    from shared.migrations import upgrade_async

    url = settings_for("notifications").resolved_database_url()
    await upgrade_async("notifications", url)
    password_hash = await handlers.hash_password(password)
    db = Database(url)
    try:
        set_actor(BOOTSTRAP)
        async with db.transaction() as session:
            row = await handlers.create_account(AccountStore(session), name, email, role, password_hash, utcnow())
    finally:
        await db.dispose()
    return str(row["id"])


def run(email: str, role: str, name: str | None, password: str | None) -> int:
    from shared.errors import DomainError

    try:
        name, password = ask(name, password)
        account_id = asyncio.run(create(email, role, name, password))
    except (DomainError, ValueError) as exc:
        print(f"hallobot operator create: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    print(f"account {account_id} ({role}) for {email}: sign in at /verwaltung/anmelden")
    return 0
