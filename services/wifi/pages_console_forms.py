"""What the WLAN console's pages share: the address, the renderer that never lets a page be cached, the
site by its id (or the 404 page), and the two forms (a maintenance window, a new site) as pydantic models
of what a browser sends: text, times in Bottrop's local time, decimals with a comma."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi import queries
from services.wifi.domain import LOCAL
from services.wifi.pages import LONGEST_ID, pages
from services.wifi.schemas import HotspotBase, Note
from shared.errors import NotFound
from shared.inputs import Instant
from shared.web import N_
from shared.web.i18n import babel_locale

PATH = "/verwaltung/wlan"
# Console pages show what the public does not see (serial numbers, a new credential): kept by no cache.
PRIVATE = {"cache-control": "no-store"}


def _mbps(language: str, value: float) -> str:
    return format_decimal(value, "#,##0.#", locale=babel_locale(language))


for _language, _environment in pages.environments.items():
    _environment.filters["mbps"] = partial(_mbps, _language)


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = pages.render(request, "console/" + template, status_code=status_code, **context)
    response.headers.update(PRIVATE)
    return response


async def site_or_404(request: Request, session: AsyncSession, hotspot_id: str) -> dict[str, Any]:
    """The site as the operator sees it, or the 404 page in the reader's words (never the id)."""
    if len(hotspot_id) <= LONGEST_ID:
        with suppress(NotFound):
            return await queries.get_hotspot(session, hotspot_id)
    raise NotFound(pages.text(request, N_("Diesen WLAN-Standort gibt es nicht.")))


def local_instant(value: datetime) -> datetime:
    """A time as typed into the page (`datetime-local`: Bottrop's wall clock, no offset) as an instant."""
    return value.replace(tzinfo=LOCAL) if value.tzinfo is None else value


class MaintenanceForm(BaseModel):
    """A maintenance window as the site's page sends it; that the end comes after the start is checked by
    the route, so that the message can name the end."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    starts_at: Instant
    ends_at: Instant
    note: Note = ""


def _decimal(value: object) -> object:
    """51,5226 as German keyboards write it, or 51.5226."""
    return value.replace(",", ".") if isinstance(value, str) else value


Decimal = BeforeValidator(_decimal)


class HotspotForm(HotspotBase):
    """A new site as the form sends it: the API's model, with coordinates typed as text."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    latitude: Annotated[float, Field(allow_inf_nan=False, ge=-90, le=90), Decimal]
    longitude: Annotated[float, Field(allow_inf_nan=False, ge=-180, le=180), Decimal]
