"""The impact monitor's read side: aggregates of the projection (monitor_* tables) for a period.
It reads nothing of another service; the one table of this service's own beside the projection is
`subscriptions` (who subscribes is told by no event: subscribers per topic are counted as they are now)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import models
from services.notifications import models_monitor as m
from services.notifications.monitor_rules import Period

P, R, K = m.profiles.c, m.registrations.c, m.counts.c


async def signups(session: AsyncSession, period: Period) -> dict[str, dict[bool, int]]:
    """Per sign-up month: self-registered (True) and entered by the office (False)."""
    rows = await session.execute(
        select(P.signup_month, P.self_registered, func.count())
        .where(P.signup_month.between(period.first, period.last))
        .group_by(P.signup_month, P.self_registered)
    )
    found: dict[str, dict[bool, int]] = defaultdict(dict)
    for month, self_registered, count in rows.tuples():
        found[month][bool(self_registered)] = count
    return found


async def publications(session: AsyncSession, period: Period) -> list[tuple[str, datetime, datetime]]:
    """Each profile signed up in the period and published since: month, signed up, first published."""
    rows = await session.execute(
        select(P.signup_month, P.signed_up_at, P.published_at).where(
            P.signup_month.between(period.first, period.last), P.published_at.is_not(None)
        )
    )
    return list(rows.tuples().all())


async def parts(session: AsyncSession, period: Period) -> list[int]:
    """The completeness parts of each profile signed up in the period and not archived."""
    rows = await session.execute(
        select(P.parts).where(P.signup_month.between(period.first, period.last), P.archived.is_(False))
    )
    return list(rows.scalars().all())


async def registrations(session: AsyncSession, period: Period) -> dict[str | None, dict[str, int]]:
    """Per series: registrations that came in, of them waitlisted and cancelled; promotions in the period."""
    found: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = await session.execute(
        select(
            R.series,
            func.count(),
            func.sum(cast(R.waitlisted, Integer)),
            func.sum(cast(R.cancelled, Integer)),
        )
        .where(R.month.between(period.first, period.last))
        .group_by(R.series)
    )
    for series, count, waitlisted, cancelled in rows.tuples():
        found[series].update(registrations=count, waitlisted=int(waitlisted or 0), cancelled=int(cancelled or 0))
    rows = await session.execute(
        select(R.series, func.count()).where(R.promoted_month.between(period.first, period.last)).group_by(R.series)
    )
    for series, count in rows.tuples():
        found[series]["promoted"] = count
    for (series_key, figure), count in (await counts(session, period, "attendance_%")).items():
        found[series_key or None][figure.removeprefix("attendance_")] += count
    return found


async def promotions(session: AsyncSession, period: Period) -> dict[str, int]:
    rows = await session.execute(
        select(R.promoted_month, func.count())
        .where(R.promoted_month.between(period.first, period.last))
        .group_by(R.promoted_month)
    )
    return dict(rows.tuples().all())


async def counts(session: AsyncSession, period: Period, figure: str) -> dict[tuple[str, str], int]:
    """Counters of `figure` (a LIKE pattern) summed over the period, by (key, figure)."""
    rows = await session.execute(
        select(K.key, K.figure, func.sum(K.n))
        .where(K.figure.like(figure), K.month.between(period.first, period.last))
        .group_by(K.key, K.figure)
    )
    return {(key, name): int(n) for key, name, n in rows.tuples()}


async def monthly_counts(session: AsyncSession, period: Period, figure: str) -> dict[str, dict[str, int]]:
    rows = await session.execute(
        select(K.month, K.key, K.n).where(K.figure == figure, K.month.between(period.first, period.last))
    )
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for month, key, n in rows.tuples():
        found[month][key] = n
    return found


async def series_titles(session: AsyncSession) -> dict[str, str]:
    """Each series named by the title of its latest event (as the subscribe form names it)."""
    C = m.calendar.c
    rows = await session.execute(select(C.series, C.title).where(C.series.is_not(None)).order_by(C.series, C.starts_at))
    return {slug: title for slug, title in rows.tuples()}


async def hotspots(session: AsyncSession) -> dict[str, str]:
    rows = await session.execute(select(m.hotspots.c.hotspot_id, m.hotspots.c.site_name))
    return {key: name for key, name in rows.tuples()}


async def hotspot_changes(session: AsyncSession, period: Period) -> dict[str, list[tuple[datetime, str]]]:
    """Each hotspot's status changes up to the end of the period, in order (the one before its start too)."""
    H = m.hotspot_changes.c
    rows = await session.execute(
        select(H.hotspot_id, H.since, H.status).where(H.since < period.end).order_by(H.hotspot_id, H.since)
    )
    found: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for hotspot, since, status in rows.tuples():
        found[hotspot].append((since, status))
    return found


async def criteria(session: AsyncSession, period: Period) -> list[tuple[str, datetime, str, bool, int, int]]:
    C = m.criteria.c
    rows = await session.execute(
        select(C.criterion, C.at, C.month, C.met, C.count, C.target).where(C.at < period.end).order_by(C.at)
    )
    return list(rows.tuples().all())


async def subscribers(session: AsyncSession) -> list[tuple[str, list[str], dict[str, str]]]:
    """The active subscriptions as they are now: channel, topics, filters."""
    S = models.subscriptions.c
    rows = await session.execute(select(S.channel, S.topics, S.filters).where(S.status == "active"))
    return [(channel, list(topics or []), dict(filters or {})) for channel, topics, filters in rows.tuples()]


async def projection_state(session: AsyncSession) -> dict[str, Any]:
    """The projection's generation and when it was last rebuilt."""
    row = (await session.execute(select(m.state).where(m.state.c.id == 1))).mappings().first()
    return dict(row) if row else {}
