"""The rules behind the console's review, without I/O: sending a new profile back (on the fake store),
when it leaves and rejoins the queue, and which of the office's notes its owner reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.directory import handlers, review_handlers
from services.directory.config import DirectorySettings
from services.directory.review_queries import back_with_owner, note_for_owner
from services.directory.schemas import BusinessCreate
from shared.errors import Conflict
from tests.directory.fakes import FakeStore

NOW = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
SETTINGS = DirectorySettings()


async def new_profile(store: FakeStore) -> dict:
    fields = BusinessCreate(
        name="Weltladen", category="einzelhandel", description="Fairer Kaffee", owner_email="laden@example.org"
    ).model_dump(mode="json")
    profile, _ = await handlers.register_business(store, fields, self_registered=True, now=NOW)
    store.take()
    return profile


async def test_a_new_profile_sent_back_keeps_the_text_the_office_saw_and_changes_nothing_public():
    store = FakeStore()
    profile = await new_profile(store)
    decision = await review_handlers.send_back(store, profile["id"], "Bitte Öffnungszeiten ergänzen.", now=NOW)
    assert decision["status"] == "rejected" and decision["note"] == "Bitte Öffnungszeiten ergänzen."
    assert decision["fields"] == {"name": "Weltladen", "description": "Fairer Kaffee", "city": "Bottrop"}
    (notice,) = store.staged  # no public event: only the owner's mail with the note
    assert (notice.TYPE, notice.kind, notice.note) == (
        "private.directory.business.owner_notice",
        "returned",
        decision["note"],
    )
    assert notice.email == "laden@example.org" and notice.profile_url is None
    store.take()
    assert (await store.get_profile(profile["id"]))["status"] == "pending"
    assert await store.pending_change(profile["id"]) is None  # nothing waits: the owner's move
    assert back_with_owner(profile, decision)
    saved = await handlers.update_business(
        store, profile["id"], {"opening_hours": "Mo-Fr 09:00-18:00"}, now=NOW + timedelta(hours=2), settings=SETTINGS
    )
    assert not back_with_owner(saved, decision)  # the owner saved: in the queue again
    assert note_for_owner(saved, decision) == decision  # and still reads what the office wrote


async def test_a_published_profile_is_not_sent_back_but_its_change_is_rejected():
    store = FakeStore()
    profile = await new_profile(store)
    await handlers.change_status(store, profile["id"], "published", now=NOW, settings=SETTINGS)
    with pytest.raises(Conflict):
        await review_handlers.send_back(store, profile["id"], "Nein.", now=NOW)


def test_the_owner_reads_the_office_s_last_word_until_the_profile_is_published_after_it():
    rejected = {"status": "rejected", "note": "Bitte ohne Werbelinks.", "decided_at": NOW}
    pending = {"status": "pending", "published_at": None, "touched_at": NOW - timedelta(hours=1)}
    assert note_for_owner(pending, rejected) == rejected
    published_later = pending | {"status": "published", "published_at": NOW + timedelta(days=1)}
    assert note_for_owner(published_later, rejected) is None
    published_before = pending | {"status": "published", "published_at": NOW - timedelta(days=30)}
    assert note_for_owner(published_before, rejected) == rejected  # a rejected change of a live profile
    assert note_for_owner(published_before, rejected | {"status": "approved"}) is None
    assert note_for_owner(pending, None) is None
    assert not back_with_owner(published_before, rejected)  # only what the public cannot see waits on its owner
