"""The notifications service's unit of work over SQL: subscriptions, the deliveries queue, the
allowlist, registrant links, the hotspot board and which business profiles are published, inside
the caller's transaction. The use cases (handlers*.py) speak to this interface only, so they run
against an in-memory fake in unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import models
from services.notifications.domain import Subscription
from services.notifications.sentences import Names
from shared import tracing
from shared.db import dialect_insert

S, D, L, H = models.subscriptions, models.deliveries, models.registrant_links, models.hotspots
C = models.calendar
B = models.business_visibility
COLUMNS = [f.name for f in fields(Subscription) if f.name != "changed"]
ONCE = ["event_id", "recipient_ref", "template"]  # the unique key that makes a delivery exactly-once


class Repository(Protocol):
    async def subscription(self, subscription_id: str) -> Subscription | None: ...
    async def add(self, subscription: Subscription) -> None: ...
    async def save(self, subscription: Subscription) -> None: ...
    async def active(self) -> list[Subscription]: ...
    async def drop_queued(self, subscription_id: str, reason: str) -> None: ...
    async def stage(self, rows: list[dict[str, Any]]) -> int: ...
    async def allowlist(self) -> list[str]: ...
    async def allow(self, entry: str, now: datetime) -> None: ...
    async def disallow(self, entry: str) -> bool: ...
    async def cancel_links(self, registration_ids: list[str]) -> dict[str, str]: ...
    async def keep_links(self, rows: list[dict[str, Any]]) -> None: ...
    async def forget_links(self, registration_ids: set[str]) -> None: ...
    async def set_hotspot(self, hotspot_id: str, values: dict[str, Any]) -> None: ...
    async def business_visibility(self, business_id: str) -> tuple[bool, datetime] | None: ...
    async def set_calendar_event(self, event_id: str, values: dict[str, Any]) -> None: ...
    async def names_for(self, hotspot_ids: list[str], event_ids: list[str], series: Sequence[str] = ()) -> Names: ...
    async def set_business_visibility(self, business_id: str, published: bool, at: datetime) -> None: ...


def rowcount(result: Any) -> int:
    """Rows an INSERT/UPDATE/DELETE touched (-1: the driver cannot tell for an executemany)."""
    return cast(CursorResult[Any], result).rowcount


def subscription_of(row: Any) -> Subscription:
    return Subscription(**{name: row[name] for name in COLUMNS})


class SqlRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def subscription(self, subscription_id: str) -> Subscription | None:
        row = (await self.session.execute(select(S).where(S.c.id == subscription_id))).mappings().first()
        return None if row is None else subscription_of(row)

    async def add(self, subscription: Subscription) -> None:
        await self.session.execute(insert(S).values({name: getattr(subscription, name) for name in COLUMNS}))

    async def save(self, subscription: Subscription) -> None:
        if subscription.changed:
            values = {name: getattr(subscription, name) for name in ("status", "failures", "confirmed_at", "ended_at")}
            await self.session.execute(update(S).where(S.c.id == subscription.id).values(values))
            subscription.changed = False

    async def active(self) -> list[Subscription]:
        rows = (await self.session.execute(select(S).where(S.c.status == "active"))).mappings()
        return [subscription_of(row) for row in rows]

    async def drop_queued(self, subscription_id: str, reason: str) -> None:
        """What was still queued or held for the digest is dropped (confirmation mails excepted)."""
        await self.session.execute(
            update(D)
            .where(
                D.c.subscription_id == subscription_id, D.c.status.in_(("pending", "held")), D.c.template != "confirm"
            )
            .values(status="dead", last_error=reason)
        )

    async def stage(self, rows: list[dict[str, Any]]) -> int:
        """Insert delivery rows (executemany of one cached statement); an (event, recipient, template)
        staged before is skipped. Returns how many were new; a driver that cannot count several rows
        (-1) is taken as "all" (the count only decides whether to wake the senders early)."""
        if not rows:
            return 0
        if tracing.enabled():  # the sender's span becomes the child of the span that staged the row
            for row in rows:
                row["traceparent"] = tracing.carrier_for(row["event_id"]).get(tracing.TRACEPARENT)
        statement = dialect_insert(self.session)(D).on_conflict_do_nothing(index_elements=ONCE)
        if len(rows) == 1:
            result = await self.session.execute(statement.values(rows[0]))
        else:
            result = await self.session.execute(statement, rows)
        count = rowcount(result)
        return count if count >= 0 else len(rows)

    async def allowlist(self) -> list[str]:
        return list((await self.session.execute(select(models.webhook_allowlist.c.entry))).scalars())

    async def allow(self, entry: str, now: datetime) -> None:
        await self.session.execute(
            dialect_insert(self.session)(models.webhook_allowlist)
            .values(entry=entry, created_at=now)
            .on_conflict_do_nothing(index_elements=["entry"])
        )

    async def disallow(self, entry: str) -> bool:
        W = models.webhook_allowlist
        return bool(rowcount(await self.session.execute(delete(W).where(W.c.entry == entry))))

    async def cancel_links(self, registration_ids: list[str]) -> dict[str, str]:
        query = select(L.c.registration_id, L.c.cancel_url).where(L.c.registration_id.in_(registration_ids))
        return {rid: url for rid, url in (await self.session.execute(query)).all()}

    async def keep_links(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            statement = dialect_insert(self.session)(L).on_conflict_do_nothing(index_elements=["registration_id"])
            await self.session.execute(statement, rows)

    async def forget_links(self, registration_ids: set[str]) -> None:
        if registration_ids:
            await self.session.execute(delete(L).where(L.c.registration_id.in_(registration_ids)))

    async def set_hotspot(self, hotspot_id: str, values: dict[str, Any]) -> None:
        """Upsert one hotspot's row; `values` are the columns to set (the insert also needs site_name)."""
        await self.session.execute(
            dialect_insert(self.session)(H)
            .values({"hotspot_id": hotspot_id, "site_name": hotspot_id, **values})
            .on_conflict_do_update(index_elements=["hotspot_id"], set_=values)
        )

    async def business_visibility(self, business_id: str) -> tuple[bool, datetime] | None:
        """Whether the profile is published, and the time of the event that said so (None: unknown)."""
        query = select(B.c.published, B.c.changed_at).where(B.c.business_id == business_id)
        row = (await self.session.execute(query)).first()
        return None if row is None else (bool(row[0]), row[1])

    async def set_business_visibility(self, business_id: str, published: bool, at: datetime) -> None:
        values = {"published": published, "changed_at": at}
        await self.session.execute(
            dialect_insert(self.session)(B)
            .values({"business_id": business_id, **values})
            .on_conflict_do_update(index_elements=["business_id"], set_=values)
        )

    async def set_calendar_event(self, event_id: str, values: dict[str, Any]) -> None:
        """Upsert one event of the calendar (title, series, start)."""
        await self.session.execute(
            dialect_insert(self.session)(C)
            .values({"event_id": event_id, **values})
            .on_conflict_do_update(index_elements=["event_id"], set_=values)
        )

    async def names_for(self, hotspot_ids: list[str], event_ids: list[str], series: Sequence[str] = ()) -> Names:
        """The names of these hotspots, events and series that the service knows (a hotspot heard of
        only by its status, not its registration, has no name yet)."""
        names = Names()
        if hotspot_ids:
            rows = await self.session.execute(
                select(H.c.hotspot_id, H.c.site_name).where(H.c.hotspot_id.in_(hotspot_ids))
            )
            names.hotspots = {hotspot: site for hotspot, site in rows if site != hotspot}
        if event_ids:
            rows = await self.session.execute(select(C.c.event_id, C.c.title).where(C.c.event_id.in_(event_ids)))
            names.events = {event: title for event, title in rows}
        if series:
            query = select(C.c.series, C.c.title).where(C.c.series.in_(series)).order_by(C.c.starts_at)
            names.series = {slug: title for slug, title in await self.session.execute(query)}
        return names
