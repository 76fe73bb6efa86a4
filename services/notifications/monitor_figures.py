"""The impact monitor's figures for a period, as tables with their definition and what a chart draws:
monitor_queries.py reads the projection, monitor_rules.py decides what may be shown, this module puts
them together in the page's language. The page, the CSV and the yearly report all show these."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import monitor_queries as q
from services.notifications import topics
from services.notifications.monitor_rules import (
    PARTS,
    Period,
    availability,
    median,
    month_start,
    next_month,
    parts_count,
    plotted,
    rate,
    shown,
)
from services.notifications.monitor_texts import FIGURES, NO_ATTENDANCE, NO_SERIES
from services.notifications.sentences import CRITERIA, Gettext, gettext
from shared.web.i18n import babel_locale

Cell = int | float | str | None


@dataclass
class Figure:
    key: str
    title: str
    definition: str
    columns: list[str]
    rows: list[list[Cell]]  # the first cell names the row (as shown); the rest as shown
    csv_labels: list[str]  # the first cell as the CSV has it (months as YYYY-MM)
    charted: list[int]  # the columns the chart draws
    unit: str = ""
    note: str | None = None
    plot: list[list[float | None]] = field(default_factory=list)  # per row, the charted values (None: not drawn)


def month_label(month: str, lang: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), "MMM y", locale=babel_locale(lang))


def _figure(
    key: str, _: Gettext, lang: str, rows: Sequence[tuple[str, Sequence[Cell], Sequence[float | None]]], **extra: Any
) -> Figure:
    text = FIGURES[key]
    columns = [_(column) for column in text.columns] + extra.pop("more_columns", [])
    months = extra.pop("months", False)
    return Figure(
        key=key,
        title=_(text.title),
        definition=_(text.definition),
        columns=columns,
        rows=[[month_label(label, lang) if months else label, *cells] for label, cells, _p in rows],
        csv_labels=[label for label, _c, _p in rows],
        plot=[list(plot) for _l, _c, plot in rows],
        unit=_(text.unit) if text.unit else "",
        **extra,
    )


async def compute(
    session: AsyncSession, period: Period, now: datetime, lang: str, only: str | None = None
) -> list[Figure]:
    _ = gettext(lang)
    builders = {
        "eintraege": _signups,
        "veroeffentlichung": _publication,
        "vollstaendigkeit": _completeness,
        "anmeldungen": _registrations,
        "nachruecken": _promotions,
        "wlan": _wifi,
        "fairtrade": _fairtrade,
        "mails": _mails,
        "abonnements": _subscribers,
    }
    return [await build(session, period, now, lang, _) for key, build in builders.items() if only in (None, key)]


async def _signups(session: AsyncSession, period: Period, now: datetime, lang: str, _: Gettext) -> Figure:
    found = await q.signups(session, period)
    rows = []
    for month in period.months:
        self_, office = found.get(month, {}).get(True, 0), found.get(month, {}).get(False, 0)
        rows.append((month, [self_, office], [float(self_), float(office)]))
    return _figure("eintraege", _, lang, rows, charted=[1, 2], months=True)


async def _publication(session: AsyncSession, period: Period, now: datetime, lang: str, _: Gettext) -> Figure:
    created = await q.signups(session, period)
    waited: dict[str, list[float]] = {month: [] for month in period.months}
    for month, signed_up, published in await q.publications(session, period):
        waited.setdefault(month, []).append((published - signed_up).total_seconds() / 86400)
    rows = []
    for month in period.months:
        middle = median(waited[month])
        shown_median = round(middle, 1) if middle is not None else None
        rows.append((month, [sum(created.get(month, {}).values()), len(waited[month]), shown_median], [shown_median]))
    return _figure("veroeffentlichung", _, lang, rows, charted=[3], months=True)


async def _completeness(session: AsyncSession, period: Period, now: datetime, lang: str, _: Gettext) -> Figure:
    counted = Counter(parts_count(mask) for mask in await q.parts(session, period))
    rows = [
        (
            _("%(count)d von %(total)d") % {"count": n, "total": len(PARTS)},
            [counted.get(n, 0)],
            [float(counted.get(n, 0))],
        )
        for n in range(len(PARTS) + 1)
    ]
    return _figure("vollstaendigkeit", _, lang, rows, charted=[1])


async def _registrations(session: AsyncSession, period: Period, now: datetime, lang: str, _: Gettext) -> Figure:
    found, titles = await q.registrations(session, period), await q.series_titles(session)
    rows, any_attendance = [], False
    for series in sorted(found, key=lambda s: (s is None, titles.get(s or "", s or ""))):
        n = found[series]
        any_attendance = any_attendance or n.get("confirmed", 0) > 0
        cells = [
            shown(n.get(key, 0), personal=True)
            for key in ("registrations", "waitlisted", "cancelled", "promoted", "confirmed", "attended", "no_shows")
        ]
        no_show_rate = rate(n.get("no_shows", 0), n.get("confirmed", 0))
        label = titles.get(series, series) if series else _(NO_SERIES)
        plot = [plotted(n.get("registrations", 0), True), plotted(n.get("attended", 0), True)]
        rows.append((label, [*cells, no_show_rate], plot))
    note = None if any_attendance else _(NO_ATTENDANCE)
    return _figure("anmeldungen", _, lang, rows, charted=[1, 6], note=note)


async def _promotions(session: AsyncSession, period: Period, now: datetime, lang: str, _: Gettext) -> Figure:
    found = await q.promotions(session, period)
    rows = [
        (month, [shown(found.get(month, 0), True)], [plotted(found.get(month, 0), True)]) for month in period.months
    ]
    return _figure("nachruecken", _, lang, rows, charted=[1], months=True)


async def _wifi(session: AsyncSession, period: Period, now: datetime, lang: str, _: Gettext) -> Figure:
    names, changes = await q.hotspots(session), await q.hotspot_changes(session, period)
    sites = sorted(set(names) | set(changes), key=lambda h: names.get(h) or h)
    rows = []
    for month in period.months:
        start, end = month_start(month), month_start(next_month(month))
        values = [availability(changes.get(site, []), start, end, now) for site in sites]
        rows.append((month, list(values), list(values)))
    site_names = [names.get(site) or _("(Name folgt)") for site in sites]
    return _figure("wlan", _, lang, rows, charted=list(range(1, len(sites) + 1)), months=True, more_columns=site_names)


async def _fairtrade(session: AsyncSession, period: Period, now: datetime, lang: str, _: Gettext) -> Figure:
    history = await q.criteria(session, period)
    rows, latest, index = [], {}, 0
    for month in period.months:
        end = month_start(next_month(month))
        while index < len(history) and history[index][1] < end:
            criterion, _at, _month, _met, count, target = history[index]
            latest[criterion] = round(100 * count / target, 1) if target else None
            index += 1
        values = [latest.get(criterion) for criterion in CRITERIA]
        rows.append((month, list(values), list(values)))
    names = [_(text) for text in CRITERIA.values()]
    return _figure(
        "fairtrade", _, lang, rows, charted=list(range(1, len(CRITERIA) + 1)), months=True, more_columns=names
    )


async def _mails(session: AsyncSession, period: Period, now: datetime, lang: str, _: Gettext) -> Figure:
    found = await q.monthly_counts(session, period, "delivery")
    rows = []
    for month in period.months:
        sent, failed = found.get(month, {}).get("email:sent", 0), found.get(month, {}).get("email:failed", 0)
        rows.append((month, [sent, failed], [float(sent), float(failed)]))
    return _figure("mails", _, lang, rows, charted=[1, 2], months=True)


async def _subscribers(session: AsyncSession, period: Period, now: datetime, lang: str, _: Gettext) -> Figure:
    names, series = await q.hotspots(session), await q.series_titles(session)
    per_topic: dict[str, Counter[str]] = {}
    for channel, topic_list, filters in await q.subscribers(session):
        label = topics.label(topic_list, filters, names, series, _)
        per_topic.setdefault(label, Counter())[channel] += 1
    rows = [
        (
            label,
            [shown(n["email"], True), shown(n["webhook"], True)],
            [plotted(n["email"], True), plotted(n["webhook"], True)],
        )
        for label, n in sorted(per_topic.items())
    ]
    return _figure("abonnements", _, lang, rows, charted=[1, 2])
