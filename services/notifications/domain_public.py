"""Rules of what the public may read, without I/O: events about business profiles only while the
office has them published, and failure reasons without addresses (docs/security/mail.md)."""

from __future__ import annotations

import re
from typing import Any

BUSINESS_EVENTS = "directory.business."
# The events that move a profile in or out of public view; every other directory event about a
# profile (registered, updated, and whatever the directory adds) is public only while it is published.
VISIBILITY_AFTER = {
    "directory.business.published": True,
    "directory.business.unpublished": False,
    "directory.business.archived": False,
}


def business_of(event_type: str, data: dict[str, Any]) -> str | None:
    """The profile a directory event is about, None for every other event."""
    if not event_type.startswith(BUSINESS_EVENTS):
        return None
    business_id = data.get("business_id")
    return str(business_id) if business_id else ""


def public_about_business(event_type: str, published_before: bool) -> bool:
    """Subscribers and the live feed see an event about a profile only when the office had published
    the profile just before it, or when the event is the publication itself (the office reviewed that
    text). Unreviewed text (a pending profile's name, a rename before publication, the archiving of a
    profile never published) stays out, whatever the event carries."""
    return event_type == "directory.business.published" or published_before


# Anything that looks like a mail address, in any case: SMTP servers echo the recipient in their own
# spelling (`<ANNA@Example.org>… unknown`), so an exact-case replacement of ours would leak it.
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def hide_addresses(reason: str, recipient: str) -> str:
    """A failure reason fit to publish: the recipient (address or webhook URL, any case) and any other
    mail address in it replaced by `<recipient>`."""
    if recipient:
        reason = re.sub(re.escape(recipient), "<recipient>", reason, flags=re.IGNORECASE)
    return _ADDRESS.sub("<recipient>", reason)
