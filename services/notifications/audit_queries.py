"""The audit trail's read side: who changed what and when, from the projection's `monitor_audit`
rows (every public event that carried the CloudEvents extension attribute `actor`), filtered and
paged, each told as the sentence the live page would say (sentences.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import models_monitor as m
from services.notifications.models_accounts import operator_accounts
from services.notifications.monitor_rules import Period
from services.notifications.sentences import Gettext, Names, sentence
from shared.web.i18n import N_

PER_PAGE = 50
AREAS = {
    "directory": N_("Verzeichnis"),
    "fairtrade": N_("Fairtrade-Stadt"),
    "events": N_("Veranstaltungen"),
    "wifi": N_("WLAN"),
    "notifications": N_("Benachrichtigungen"),
}
BOOTSTRAP = N_("Zugang der Inbetriebnahme")
CHANGED = N_("Geänderte Angaben: %(fields)s")
# The fields that `changed` of a profile or an event names, in words (a field not here is left out).
FIELDS = {
    "name": N_("Name"),
    "category": N_("Art des Betriebs"),
    "description": N_("Beschreibung"),
    "offerings": N_("Angebote"),
    "email": N_("E-Mail"),
    "phone": N_("Telefon"),
    "website": N_("Website"),
    "street": N_("Adresse"),
    "postal_code": N_("Adresse"),
    "city": N_("Adresse"),
    "latitude": N_("Lage auf der Karte"),
    "longitude": N_("Lage auf der Karte"),
    "opening_hours": N_("Öffnungszeiten"),
    "delivery": N_("Lieferung"),
    "pickup": N_("Abholung"),
    "accepts_gutschein": N_("Bottrop-Gutschein"),
    "sells_gutschein": N_("Bottrop-Gutschein"),
    "online_shop": N_("Online-Shop"),
    "fairtrade_products": N_("Fairtrade-Produkte"),
    "links": N_("Links"),
    "title": N_("Titel"),
    "series": N_("Reihe"),
    "starts_at": N_("Beginn"),
    "ends_at": N_("Ende"),
    "venue": N_("Ort"),
    "online_url": N_("Online-Zugang"),
    "capacity": N_("Plätze"),
    "waitlist": N_("Warteliste"),
    "registration_opens_at": N_("Anmeldezeitraum"),
    "registration_closes_at": N_("Anmeldezeitraum"),
}
A = m.audit.c


@dataclass(frozen=True)
class Filters:
    actor: str | None
    area: str | None
    period: Period
    page: int


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    area: str
    sentence: str


def actor_label(actor: str, names: Mapping[str, str], _: Gettext) -> str:
    """An actor in words: the account's name where it is known, never an email address."""
    if actor == "bootstrap":
        return _(BOOTSTRAP)
    return names.get(actor) or _("Konto %(short)s") % {"short": actor[:8]}


def _where(filters: Filters) -> list:  # type: ignore[type-arg]
    clauses = [A.at >= filters.period.start, A.at < filters.period.end]
    if filters.actor:
        clauses.append(A.actor == filters.actor)
    if filters.area:
        clauses.append(A.area == filters.area)
    return clauses


async def entries(session: AsyncSession, filters: Filters, lang: str, _: Gettext) -> tuple[list[Entry], int]:
    """One page of entries, newest first, and how many there are in all."""
    where = _where(filters)
    total = int((await session.execute(select(func.count()).select_from(m.audit).where(*where))).scalar_one())
    rows = await session.execute(
        select(A.at, A.actor, A.area, A.type, A.data)
        .where(*where)
        .order_by(A.at.desc(), A.event_id.desc())
        .limit(PER_PAGE)
        .offset((filters.page - 1) * PER_PAGE)
    )
    names = await _names(session)
    found = []
    for at, actor, area, event_type, data in rows.tuples():
        told = sentence(event_type, data, lang, names)
        fields = _changed(data.get("changed"), _)
        if fields:
            told += " " + _(CHANGED) % {"fields": fields}
        found.append(Entry(at, actor, area, told))
    return found, total


def _changed(changed: object, _: Gettext) -> str:
    if not isinstance(changed, list):
        return ""
    words = dict.fromkeys(_(FIELDS[field]) for field in changed if field in FIELDS)  # once each, in order
    return ", ".join(words)


async def actors(session: AsyncSession) -> list[str]:
    """Everybody who appears in the trail (for the filter)."""
    return list((await session.execute(select(A.actor).distinct().order_by(A.actor))).scalars())


async def _names(session: AsyncSession) -> Names:
    names = Names()
    rows = await session.execute(select(m.hotspots.c.hotspot_id, m.hotspots.c.site_name))
    names.hotspots = {key: name for key, name in rows.tuples() if name}
    rows = await session.execute(select(m.calendar.c.event_id, m.calendar.c.title))
    names.events = {key: title for key, title in rows.tuples()}
    return names


async def account_names(session: AsyncSession) -> dict[str, str]:
    """The console's accounts by id (this service's own table): the audit names people, not ids. A
    deleted account's name is erased, so its entries show the short id."""
    rows = await session.execute(select(operator_accounts.c.id, operator_accounts.c.name))
    return {row.id: row.name for row in rows if row.name}
