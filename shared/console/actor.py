"""Who made a change: the operator of the current request, put on every event it stages as the
CloudEvents extension attribute `actor` (an account id, or `bootstrap`; never an email address).

A ContextVar, set by the async auth dependency (shared/console/access.py) in the request's own
task, read by shared/outbox.py. Sync dependencies run in a worker thread and could not set it for
the route; consumers and jobs never set it, so their events carry no actor."""

from __future__ import annotations

from contextvars import ContextVar, Token

_actor: ContextVar[str | None] = ContextVar("hallobot_actor", default=None)


def current_actor() -> str | None:
    return _actor.get()


def set_actor(actor: str | None) -> Token[str | None]:
    return _actor.set(actor)


def reset_actor(token: Token[str | None]) -> None:
    _actor.reset(token)
