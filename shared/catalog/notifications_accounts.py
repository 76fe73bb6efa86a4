"""Events of the console's operator accounts (owned by notifications), on the NOTIFICATIONS stream.

They carry the account id and role only: never a name or an email address (the stream is public to
the city's systems). Who made the change is the envelope's `actor` attribute."""

from __future__ import annotations

from typing import Literal

from shared.catalog.base import EventData

RoleName = Literal["admin", "office", "events", "wifi"]


class _AccountEvent(EventData):
    SUBJECT_FIELD = "account_id"
    SOURCE = "/hallobot/notifications"
    account_id: str
    role: RoleName


class AccountCreated(_AccountEvent):
    TYPE = "notifications.account.created"


class AccountRoleChanged(_AccountEvent):
    TYPE = "notifications.account.role_changed"
    previous_role: RoleName


class AccountDeleted(_AccountEvent):
    TYPE = "notifications.account.deleted"


class AccountTokenCreated(_AccountEvent):
    """An API token for scripts; `token_id` names it (the secret is never in an event)."""

    TYPE = "notifications.account.token_created"
    token_id: str


class AccountTokenRevoked(_AccountEvent):
    TYPE = "notifications.account.token_revoked"
    token_id: str


ACCOUNT_EVENTS: tuple[type[_AccountEvent], ...] = (
    AccountCreated,
    AccountRoleChanged,
    AccountDeleted,
    AccountTokenCreated,
    AccountTokenRevoked,
)
