"""The directory's public pages: the search (`/verzeichnis`) and one business (`/verzeichnis/<id>`).

Both read through queries.py as the JSON API does; only published profiles are shown. The search is
a GET form (it works without JavaScript, and a result list can be bookmarked or shared); its address
speaks German (`?q=Kaffee&fairtrade=on`). Unknown or malformed parameters are ignored rather than
answered with an error page: a person may have edited the address by hand.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import QueryParams

from services.directory import domain, network_queries, offers, queries
from services.directory.deps import SettingsDep
from services.directory.jsonld import json_ld
from services.directory.labels import CATEGORY_NAMES, NETWORK_EXPLANATIONS, OFFER_PARTS
from services.directory.opening_days import days_ahead, next_change
from services.directory.pages import pages
from services.directory.search_cache import SearchCache
from shared.envelope import utcnow
from shared.errors import NotFound
from shared.service import ReadingDep, RuntimeDep
from shared.service.runtime import Runtime
from shared.web import N_, chosen_language

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
MAX_QUERY = 200
# The search's yes-only filters: the name in the address → the field of queries.Filters.
FLAGS = {
    "lieferung": "delivery",
    "abholung": "pickup",
    "gutschein_annahme": "accepts_gutschein",
    "gutschein_verkauf": "sells_gutschein",
    "fairtrade": "fairtrade",
}
MARKET = "wochenmarkt"  # the Wochenmarkt filter is the category of that name
NOT_FOUND = N_("Diesen Eintrag gibt es nicht oder nicht mehr im Verzeichnis.")
NO_NETWORK = N_("Dieses Netzwerk gibt es nicht.")


@dataclass(frozen=True)
class Asked:
    """What the search form asked for, as read from the address."""

    q: str = ""
    category: str | None = None
    open_now: bool = False
    market: bool = False
    flags: dict[str, Any] = field(default_factory=dict)  # a field of queries.Filters → True
    page: int = 1

    def cache_key(self, now: datetime) -> Hashable:
        """The question as a key of the search cache; with "open now", also the minute it was asked in."""
        minute = now.replace(second=0, microsecond=0) if self.open_now else None
        return (self.q, self.category, self.market, tuple(sorted(self.flags)), self.page, minute)

    @property
    def impossible(self) -> bool:
        """Wochenmarkt and another category at once: nothing can match both."""
        return self.market and self.category not in (None, MARKET)

    def filters(self, now: datetime) -> queries.Filters:
        category = MARKET if self.market else self.category
        filters = queries.Filters(q=self.q or None, category=category, open_at=now if self.open_now else None)
        return replace(filters, **self.flags)


def asked_of(params: QueryParams) -> Asked:
    def on(name: str) -> bool:
        return params.get(name, "") in ("on", "1", "true", "ja")

    category = params.get("kategorie", "")
    page = params.get("seite", "1")
    return Asked(
        q=" ".join(params.get("q", "").split())[:MAX_QUERY],
        category=category if category in domain.CATEGORIES else None,
        open_now=on("jetzt_offen"),
        market=on(MARKET),
        flags={flag: True for name, flag in FLAGS.items() if on(name)},
        page=min(int(page), 10_000) if page.isdigit() and int(page) >= 1 else 1,
    )


def tel_link(phone: str | None) -> str | None:
    """A German number as a `tel:` address phones dial from anywhere: 02041 123456 → tel:+492041123456."""
    digits = re.sub(r"[^0-9+]", "", phone or "")
    if not digits:
        return None
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+49" + digits[1:]
    return f"tel:{digits}"


def address_of(profile: dict[str, Any]) -> str:
    place = " ".join(part for part in (profile.get("postal_code"), profile.get("city")) if part)
    return ", ".join(part for part in (profile.get("street"), place) if part)


def map_link(profile: dict[str, Any]) -> str:
    """The place on openstreetmap.org (a plain link; no map is loaded into the page)."""
    lat, lon = profile.get("latitude"), profile.get("longitude")
    if lat is not None and lon is not None:
        return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=18/{lat:.5f}/{lon:.5f}"
    return "https://www.openstreetmap.org/search?query=" + quote(address_of(profile))


def offer_rows(request: Request, offer: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, value) of each part the delivery and pickup offer states; none without an offer."""
    parts = offers.form_values(offer, chosen_language(request)) if offer else {}
    return [(pages.text(request, label), parts[key]) for key, label in OFFER_PARTS.items() if parts.get(key)]


def card(profile: dict[str, Any]) -> dict[str, Any]:
    return profile | {"address": address_of(profile), "tel": tel_link(profile.get("phone"))}


def page_link(params: QueryParams, page: int) -> str:
    kept = [(name, value) for name, value in params.multi_items() if name not in ("seite", "lang") and value]
    return "/verzeichnis?" + urlencode([*kept, ("seite", str(page))])


async def found(asked: Asked, now: datetime, runtime: Runtime, cache: SearchCache) -> queries.Found:
    """The page of matching profiles and how many match (up to queries.SEARCH_COUNT_CAP exactly, past it
    "more than"): from the cache when it holds this question (no database session then), else from the
    database."""
    if asked.impossible:
        return queries.Found([], 0)
    writes = runtime.db.writes_committed
    key = asked.cache_key(now)
    cached = cache.get(key, writes)
    if cached is not None:
        return cached
    async with runtime.db.reading() as session:
        result = await queries.search(
            session,
            asked.filters(now),
            page=asked.page,
            per_page=PER_PAGE,
            is_sqlite=runtime.db.is_sqlite,
            columns=queries.CARD_COLUMNS,
        )
    cache.put(key, writes, result)
    return result


@router.get("/verzeichnis", response_class=HTMLResponse)
async def search(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    asked, now = asked_of(request.query_params), utcnow()
    result = await found(asked, now, runtime, request.app.state.search_cache)
    # With more matches than counted, the pages counted so far (the page says "of more than …")
    pages_total = max(1, -(-result.total // PER_PAGE))
    more = result.more_after(asked.page, PER_PAGE)
    return pages.render(
        request,
        "search.html",
        form=dict(request.query_params),
        asked=asked,
        searched=bool(request.query_params),
        results=[card(queries.listed(p, now)) for p in result.rows],
        total=result.total,
        total_exact=result.exact,
        newest_first=result.newest_first,
        page=asked.page,
        pages_total=pages_total,
        first_link=page_link(request.query_params, 1),
        previous_link=page_link(request.query_params, asked.page - 1) if asked.page > 1 else None,
        next_link=page_link(request.query_params, asked.page + 1) if more else None,
        categories=CATEGORY_NAMES,
    )


@router.get("/verzeichnis/{business_id:uuid}", response_class=HTMLResponse)
async def business(business_id: UUID, request: Request, session: ReadingDep, settings: SettingsDep) -> HTMLResponse:
    profile = await queries.profile(session, str(business_id))
    if profile is None or profile["status"] != domain.PUBLISHED:
        raise NotFound(NOT_FOUND, field="business_id")
    now = utcnow()
    hours = profile["opening_hours"]
    return pages.render(
        request,
        "business.html",
        business=card(queries.view(profile, now, settings)),
        category_name=CATEGORY_NAMES[profile["category"]],
        days=days_ahead(hours, now) if hours else [],
        today=now.astimezone(domain.BERLIN).date(),
        changes_at=next_change(hours, now) if hours else None,
        map_link=map_link(profile),
        offer=offer_rows(request, profile.get("offer")),
        has_coordinates=profile["latitude"] is not None,
        json_ld=json_ld(profile, settings.profile_link(profile["id"])),
        networks=await network_queries.networks_of(session, profile["id"]),
    )


@router.get("/verzeichnis/netzwerke", response_class=HTMLResponse)
async def networks(request: Request, session: ReadingDep) -> HTMLResponse:
    """The office's networks, each with what it is and a link to its members."""
    found = await network_queries.all_networks(session)
    return pages.render(
        request,
        "networks.html",
        networks=[network | {"explanation": NETWORK_EXPLANATIONS.get(network["slug"])} for network in found],
    )


@router.get("/verzeichnis/netzwerke/{slug}", response_class=HTMLResponse)
async def network_members(slug: str, request: Request, session: ReadingDep) -> HTMLResponse:
    """A network and its members that the public may see (published profiles only)."""
    network = await network_queries.network(session, slug) if len(slug) <= 40 else None
    if network is None:
        raise NotFound(NO_NETWORK, field="network")
    members = await network_queries.members(session, slug, published_only=True)
    return pages.render(
        request,
        "network.html",
        network=network,
        explanation=NETWORK_EXPLANATIONS.get(slug),
        members=[{"id": m["id"], "name": m["name"], "category": CATEGORY_NAMES[m["category"]]} for m in members],
    )
