"""The Fairtrade-Town page (`/fairtrade`): the five criteria as progress, the title's dates, this year's
actions and press, read through fairtrade_queries.py as the JSON API does.

`/fairtrade` is also the campaign's JSON API on the directory's own port, and the front door sends a
person's `/fairtrade` to the directory: so the API route (fairtrade_api.py) answers a browser with this
page and every other client with JSON, as before."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import fairtrade
from services.directory.config import DirectorySettings
from services.directory.fairtrade_queries import campaign_view
from services.directory.labels import (
    CIVIL_SOCIETY_NAMES,
    CIVIL_SOCIETY_PART_NAMES,
    CRITERION_EXPLANATIONS,
    CRITERION_NAMES,
    SHOP_GROUP_NAMES,
    TITLE_KIND_NAMES,
)
from services.directory.pages import pages
from shared.envelope import utcnow


def criterion_rows(campaign: dict[str, Any]) -> list[dict[str, Any]]:
    """Each criterion with its name, what it asks, and its parts (shops and gastronomy; the kinds of
    civil society actions) as (name, count, target)."""
    per_kind = max(1, campaign_target(campaign, "civil_society") // len(fairtrade.CIVIL_SOCIETY_PARTS))
    rows = []
    for criterion in campaign["criteria"]:
        detail = criterion["detail"] or {}
        parts: list[tuple[str, int, int]] = []
        if criterion["criterion"] == "retail_gastronomy":
            parts = [
                (SHOP_GROUP_NAMES["retail"], detail["retail"], detail["retail_target"]),
                (SHOP_GROUP_NAMES["gastronomy"], detail["gastronomy"], detail["gastronomy_target"]),
            ]
        elif criterion["criterion"] == "civil_society":
            parts = [
                (CIVIL_SOCIETY_PART_NAMES[part], sum(detail.get(kind, 0) for kind in kinds), per_kind)
                for part, kinds in fairtrade.CIVIL_SOCIETY_PARTS.items()
            ]
        rows.append(
            criterion
            | {
                "name": CRITERION_NAMES[criterion["criterion"]],
                "explanation": CRITERION_EXPLANATIONS[criterion["criterion"]],
                "parts": parts,
            }
        )
    return rows


def campaign_target(campaign: dict[str, Any], name: str) -> int:
    return next(int(c["target"]) for c in campaign["criteria"] if c["criterion"] == name)


async def campaign_page(request: Request, session: AsyncSession, settings: DirectorySettings) -> HTMLResponse:
    campaign = await campaign_view(session, now=utcnow(), settings=settings)
    return pages.render(
        request,
        "fairtrade.html",
        campaign=campaign,
        criteria=criterion_rows(campaign),
        met=sum(1 for c in campaign["criteria"] if c["met"]),
        civil_society_names=CIVIL_SOCIETY_NAMES,
        title_kind_names=TITLE_KIND_NAMES,
    )
