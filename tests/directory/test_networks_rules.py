"""The networks' rules without I/O (domain_networks.py): which published event is a network's meeting,
what a membership change says on the public subject, who hears from the network."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.directory import domain_networks as rules
from shared.catalog import EventPublished
from shared.errors import Conflict

ALLIANCE = {"slug": "wirtschaftsallianz", "name": "Wirtschaftsallianz Bottrop", "meeting_series": "Wirtschaftsallianz"}
SKILLS = {
    "slug": "fachkraeftesicherung",
    "name": "Netzwerk Fachkräftesicherung",
    "meeting_series": "Fachkräftesicherung",
}
AT = datetime(2031, 3, 10, 17, tzinfo=UTC)


def published_event(series: str | None) -> EventPublished:
    return EventPublished(event_id="e1", title="Jahrestreffen", series=series, starts_at=AT, ends_at=AT)


@pytest.mark.parametrize("series", ["Wirtschaftsallianz", "wirtschaftsallianz", "  Wirtschaftsallianz "])
def test_an_event_of_the_meeting_series_is_the_networks_meeting_whatever_its_case_and_spacing(series):
    assert rules.meeting_of(published_event(series), [SKILLS, ALLIANCE]) is ALLIANCE


@pytest.mark.parametrize("series", [None, "", "Wirtschaftsallianz-Workshop", "handwerker-fruehstueck"])
def test_any_other_series_or_none_is_no_meeting(series):
    assert rules.meeting_of(published_event(series), [SKILLS, ALLIANCE]) is None


def test_the_joining_event_names_a_published_business_and_never_an_unreviewed_one():
    shop = {"id": "b1", "name": "Weltladen", "status": "published"}
    joined = rules.membership_event(True, ALLIANCE, shop)
    assert joined.TYPE == "directory.network.member_joined" and joined.name == "Weltladen"
    assert joined.nats_subject() == "hallobot.directory.network.member_joined.wirtschaftsallianz"
    for status in ("pending", "unpublished", "archived"):
        left = rules.membership_event(False, ALLIANCE, shop | {"status": status, "name": "Ungeprüft <b>"})
        assert left.TYPE == "directory.network.member_left" and left.name is None


def test_an_archived_business_cannot_join_and_hears_nothing_nor_does_one_without_an_address():
    with pytest.raises(Conflict):
        rules.check_may_join({"status": "archived"})
    rules.check_may_join({"status": "pending"})  # the office may take a business in before publishing it
    assert rules.reaches({"status": "pending", "owner_email": "a@example.org"})
    assert not rules.reaches({"status": "archived", "owner_email": "a@example.org"})
    assert not rules.reaches({"status": "published", "owner_email": None})


def test_the_invitation_carries_the_meeting_and_the_members_language():
    member = {"id": "b1", "name": "Weltladen", "status": "published", "owner_email": "a@example.org",
              "owner_language": "en"}  # fmt: skip
    notice = rules.invitation(ALLIANCE, member, published_event("Wirtschaftsallianz"), "https://x/veranstaltungen/e1")
    assert (notice.kind, notice.language, notice.email) == ("network_invitation", "en", "a@example.org")
    assert (notice.network_name, notice.event_title, notice.starts_at) == (
        "Wirtschaftsallianz Bottrop",
        "Jahrestreffen",
        AT,
    )
    announcement = rules.announcement(SKILLS, member | {"owner_language": None}, "Betreff", "Text")
    assert (announcement.kind, announcement.language, announcement.headline) == (
        "network_announcement",
        "de",
        "Betreff",
    )
