"""Use cases of the consumers that keep what the public may see: the hotspot board of the live page,
and whether each business profile is published (subscribers hear of a profile only while it is)."""

from __future__ import annotations

from datetime import datetime

from services.notifications import domain_public
from services.notifications.repository import Repository
from shared.envelope import CloudEvent


async def for_the_public(repo: Repository, event: CloudEvent) -> bool:
    """May citizens read this event? Everything but business-profile events of profiles the office
    has not published (domain_public.public_about_business)."""
    business_id = domain_public.business_of(event.short_type, event.data)
    if business_id is None:
        return True
    known = await repo.business_visibility(business_id) if business_id else None
    published_before = known is not None and known[0] and known[1] <= event.time
    return domain_public.public_about_business(event.short_type, published_before)


async def track_business(repo: Repository, event: CloudEvent) -> None:
    """Keep whether each profile is published, from the publish, unpublish and archive events. A
    change older than the one kept (a redelivery) changes nothing."""
    visible = domain_public.VISIBILITY_AFTER.get(event.short_type)
    business_id = domain_public.business_of(event.short_type, event.data)
    if visible is None or not business_id:
        return
    known = await repo.business_visibility(business_id)
    if known is None or known[1] <= event.time:
        await repo.set_business_visibility(business_id, visible, event.time)


async def track_calendar(repo: Repository, event: CloudEvent) -> None:
    """Keep each event's title and series, to name them in sentences and on the subscribe form."""
    data = event.data
    if event.short_type in ("events.event.published", "events.event.updated") and data.get("event_id"):
        starts_at = datetime.fromisoformat(str(data["starts_at"]).replace("Z", "+00:00"))
        values = {"title": data["title"], "series": data.get("series"), "starts_at": starts_at}
        await repo.set_calendar_event(data["event_id"], values)


async def track_hotspot(repo: Repository, event: CloudEvent) -> None:
    """Keep each hotspot's site name (registered, renamed, and the name status events carry) and current
    status for the live page and for naming sites in mails."""
    data = event.data
    if event.short_type in ("wifi.hotspot.registered", "wifi.hotspot.renamed"):
        await repo.set_hotspot(data["hotspot_id"], {"site_name": data["site_name"]})
    elif event.short_type == "wifi.hotspot.status_changed":
        since = datetime.fromisoformat(data["since"].replace("Z", "+00:00"))
        named = {"site_name": data["site_name"]} if data.get("site_name") else {}
        await repo.set_hotspot(data["hotspot_id"], {"status": data["status"], "since": since, **named})
