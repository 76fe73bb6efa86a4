"""Wakes the senders when a transaction staged something, instead of at their next poll."""

from __future__ import annotations

import asyncio

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession


class Wake:
    """One per service instance (app.py creates it): consumers, routes and jobs that stage mails or
    webhooks call `after_commit`; each sender loop waits on its own `waiter()`."""

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []

    def waiter(self) -> asyncio.Event:
        self._events.append(asyncio.Event())
        return self._events[-1]

    def set(self) -> None:
        for waiter in self._events:
            waiter.set()

    def after_commit(self, session: AsyncSession) -> None:
        sa_event.listen(session.sync_session, "after_commit", lambda _s: self.set(), once=True)
