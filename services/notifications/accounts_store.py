"""Storage of the console's accounts (models_accounts.py) on one transaction's session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.models_accounts import operator_accounts as A
from services.notifications.models_accounts import operator_sessions as S
from services.notifications.models_accounts import operator_tokens as T
from services.notifications.models_accounts import password_resets as R
from shared.console.credentials import Credential

Row = dict[str, Any]


class AccountStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _one(self, statement: Any) -> Row | None:
        row = (await self.session.execute(statement)).mappings().first()
        return dict(row) if row else None

    async def account(self, account_id: str) -> Row | None:
        return await self._one(select(A).where(A.c.id == account_id, A.c.deleted_at.is_(None)))

    async def account_by_email(self, email: str) -> Row | None:
        return await self._one(select(A).where(A.c.email == email, A.c.deleted_at.is_(None)))

    async def email_taken(self, email: str) -> bool:
        return await self._one(select(A.c.id).where(A.c.email == email)) is not None

    async def accounts(self) -> list[Row]:
        rows = await self.session.execute(select(A).where(A.c.deleted_at.is_(None)).order_by(A.c.name, A.c.email))
        return [dict(row) for row in rows.mappings()]

    async def admins(self) -> int:
        query = select(func.count()).select_from(A).where(A.c.role == "admin", A.c.deleted_at.is_(None))
        return int((await self.session.execute(query)).scalar_one())

    async def add_account(self, row: Row) -> None:
        await self.session.execute(A.insert().values(row))

    async def update_account(self, account_id: str, **values: Any) -> None:
        await self.session.execute(update(A).where(A.c.id == account_id).values(**values))

    async def add_session(self, row: Row) -> None:
        await self.session.execute(S.insert().values(row))

    async def session_row(self, digest: str) -> Row | None:
        return await self._one(select(S).where(S.c.digest == digest))

    async def update_session(self, digest: str, **values: Any) -> None:
        await self.session.execute(update(S).where(S.c.digest == digest).values(**values))

    async def delete_session(self, digest: str) -> bool:
        return bool((await self.session.execute(delete(S).where(S.c.digest == digest))).rowcount)  # type: ignore[attr-defined]

    async def sessions_of(self, account_id: str) -> list[Row]:
        rows = await self.session.execute(select(S).where(S.c.account_id == account_id))
        return [dict(row) for row in rows.mappings()]

    async def tokens_of(self, account_id: str) -> list[Row]:
        rows = await self.session.execute(select(T).where(T.c.account_id == account_id).order_by(T.c.created_at))
        return [dict(row) for row in rows.mappings()]

    async def add_token(self, row: Row) -> None:
        await self.session.execute(T.insert().values(row))

    async def token(self, account_id: str, token_id: str) -> Row | None:
        return await self._one(select(T).where(T.c.id == token_id, T.c.account_id == account_id))

    async def delete_token(self, token_id: str) -> None:
        await self.session.execute(delete(T).where(T.c.id == token_id))

    async def forget_credentials(self, account_id: str) -> None:
        for table in (S, T, R):
            await self.session.execute(delete(table).where(table.c.account_id == account_id))

    async def add_reset(self, row: Row) -> None:
        await self.session.execute(R.insert().values(row))

    async def reset(self, digest: str) -> Row | None:
        return await self._one(select(R).where(R.c.digest == digest))

    async def use_reset(self, digest: str, now: datetime) -> None:
        await self.session.execute(update(R).where(R.c.digest == digest).values(used_at=now))

    async def live_credentials(self, now: datetime) -> dict[str, Credential]:
        """Every live session and token, by digest: what the credential index must hold."""
        sessions = await self.session.execute(
            select(S.c.digest, S.c.expires_at, A.c.id, A.c.role)
            .join(A, A.c.id == S.c.account_id)
            .where(S.c.expires_at > now, A.c.deleted_at.is_(None))
        )
        tokens = await self.session.execute(
            select(T.c.digest, A.c.id, A.c.role).join(A, A.c.id == T.c.account_id).where(A.c.deleted_at.is_(None))
        )
        live = {row.digest: Credential(row.id, row.role, "session", row.expires_at) for row in sessions}
        live |= {row.digest: Credential(row.id, row.role, "token", None) for row in tokens}
        return live
