"""The office's review (issue 14, item 5): which owner edits of a published profile go live at once and
which wait for the office; approvals and rejections; and no text of an unreviewed profile on a public
subject. The rule and the use cases on the fake store first, then the service as a real process on
SQLite and PostgreSQL, its events read back from JetStream."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import nats
import pytest

from services.directory import domain, domain_review, handlers
from services.directory.config import DirectorySettings
from services.directory.schemas import BusinessCreate
from shared.errors import Conflict, Invalid, NotFound
from tests.directory.conftest import OPERATOR, events_of, owner, published, register
from tests.directory.fakes import FakeStore
from tests.support.stream import stream_messages

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
SETTINGS = DirectorySettings(public_url="https://hallo-bot.de/verzeichnis/{id}")
PHISHING = "Jetzt bestätigen: https://evil.example"
UPDATED = "directory.business.updated"


def fields(**overrides) -> dict:
    body = {"name": "Weltladen", "category": "einzelhandel", "owner_email": "inhaberin@example.org"}
    return BusinessCreate(**(body | overrides)).model_dump(mode="json")


async def shop(store: FakeStore, **overrides) -> str:
    """A published profile; the events it caused are taken."""
    profile, _ = await handlers.register_business(store, fields(**overrides), self_registered=True, now=NOW)
    await handlers.change_status(store, profile["id"], "published", now=NOW, settings=SETTINGS)
    store.take()
    return profile["id"]


async def edit(store: FakeStore, business_id: str, changes: dict, *, by_office: bool = False) -> dict:
    return await handlers.update_business(
        store, business_id, changes, now=LATER, settings=SETTINGS, by_office=by_office
    )


async def waiting(store: FakeStore, business_id: str) -> dict | None:
    pending = await store.pending_change(business_id)
    return pending and pending["fields"]


# --- the rule --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Weltladen – jetzt neu"),
        ("description", f"Alles neu. {PHISHING}"),
        ("offerings", ["Kaffee", PHISHING]),
        ("email", "konto-pruefen@evil.example"),
        ("website", "https://evil.example/"),
        ("links", ["https://evil.example/login"]),
        ("street", PHISHING),
        ("city", PHISHING),
        ("opening_hours", f'Mo-Fr 09:00-18:00 "{PHISHING}"'),  # an OSM comment is free text
        ("a_field_added_later", "anything"),  # not named as live: it waits
    ],
)
def test_an_owners_free_text_and_links_on_a_published_profile_wait_for_the_office(field, value):
    assert not domain_review.goes_live(field, value)
    live, held = domain_review.review_split("published", {field: value}, by_office=False)
    assert live == {} and held == {field: value}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "02041 999999"),
        ("opening_hours", "Mo-Sa 08:00-20:00; PH off"),
        ("opening_hours", None),
        ("delivery", True),
        ("pickup", False),
        ("accepts_gutschein", True),
        ("online_shop", True),
        ("fairtrade_products", 4),
        ("latitude", 51.52),
        ("longitude", 6.93),
        ("postal_code", "46236"),
        ("category", "gastronomie"),
        ("owner_email", "neu@example.org"),
        ("owner_language", "en"),
    ],
)
def test_facts_that_cannot_carry_a_message_go_live_at_once(field, value):
    live, held = domain_review.review_split("published", {field: value}, by_office=False)
    assert live == {field: value} and held == {}


@pytest.mark.parametrize("status", ["pending", "unpublished"])
def test_edits_the_public_cannot_see_and_the_offices_own_edits_go_live(status):
    assert domain_review.review_split(status, {"name": PHISHING}, by_office=False) == ({"name": PHISHING}, {})
    assert domain_review.review_split("published", {"name": "Neu"}, by_office=True) == ({"name": "Neu"}, {})


def test_a_waiting_change_takes_newer_edits_and_a_live_value_or_a_field_sent_live_leaves_it():
    live_profile = {"name": "Weltladen", "description": "", "opening_hours": None}
    pending = {"name": "Weltladen Bottrop", "opening_hours": 'Mo 09:00-12:00 "Hinterhof"'}
    assert domain_review.proposed_fields(live_profile, pending, {}, {"description": "Fair"}) == pending | {
        "description": "Fair"
    }
    assert domain_review.proposed_fields(live_profile, pending, {}, {"name": "Weltladen"}) == {
        "opening_hours": 'Mo 09:00-12:00 "Hinterhof"'
    }
    assert domain_review.proposed_fields(live_profile, pending, {"opening_hours": "Mo 09:00-12:00"}, {}) == {
        "name": "Weltladen Bottrop"
    }


def test_a_decided_change_cannot_be_decided_again():
    domain_review.check_undecided({"status": "pending"})
    for status in ("approved", "rejected", "superseded", "withdrawn"):
        with pytest.raises(Conflict) as refused:
            domain_review.check_undecided({"status": status})
        assert refused.value.field == "change_id"


def test_a_waiting_change_must_be_valid_when_it_is_proposed():
    profile = {"id": "b1", "name": "W", "category": "einzelhandel", "status": "published", "opening_hours": None}
    with pytest.raises(Invalid) as refused:
        domain.edit(profile, {"opening_hours": 'werktags "immer"'}, now=NOW)
    assert refused.value.field == "opening_hours"


# --- the use cases on the fake store ---------------------------------------------------------------


async def test_the_phone_goes_live_at_once_and_the_new_name_waits_for_the_office():
    store = FakeStore()
    business_id = await shop(store)
    answer = await edit(store, business_id, {"phone": "02041 999999", "name": "Weltladen am Markt"})
    assert answer["phone"] == "02041 999999" and answer["name"] == "Weltladen"
    assert store.profiles[business_id]["name"] == "Weltladen" and answer["touched_at"] == LATER
    (updated,) = store.staged
    assert (updated.TYPE, updated.name, updated.changed) == (UPDATED, "Weltladen", ["phone"])
    assert await waiting(store, business_id) == {"name": "Weltladen am Markt"}
    store.take()
    await edit(store, business_id, {"description": PHISHING})  # only text: nothing public, nothing announced
    assert store.take() == [] and store.profiles[business_id]["description"] == ""


async def test_a_newer_edit_supersedes_the_waiting_change_and_sending_the_live_values_withdraws_it():
    store = FakeStore()
    business_id = await shop(store)
    await edit(store, business_id, {"name": "Weltladen am Markt"})
    first = await store.pending_change(business_id)
    await edit(store, business_id, {"description": "Fairer Handel seit 1990."})
    second = await store.pending_change(business_id)
    assert second["id"] != first["id"] and store.changes[first["id"]]["status"] == "superseded"
    assert second["fields"] == {"name": "Weltladen am Markt", "description": "Fairer Handel seit 1990."}
    await edit(store, business_id, {"name": "Weltladen", "description": ""})
    assert await store.pending_change(business_id) is None and store.changes[second["id"]]["status"] == "withdrawn"
    with pytest.raises(Conflict):  # the office cannot approve what the owner replaced
        await handlers.approve_change(store, first["id"], now=LATER, settings=SETTINGS)
    assert store.take() == []


async def test_the_office_approves_and_the_public_event_carries_the_reviewed_name():
    store = FakeStore()
    business_id = await shop(store)
    await edit(store, business_id, {"name": "Weltladen am Markt", "website": "https://weltladen.example/"})
    pending = await store.pending_change(business_id)
    decided, profile = await handlers.approve_change(store, pending["id"], now=LATER, settings=SETTINGS)
    assert decided["status"] == "approved" and decided["decided_at"] == LATER
    assert profile["name"] == "Weltladen am Markt" and profile["website"] == "https://weltladen.example/"
    assert store.profiles[business_id]["search_folded"].startswith("weltladen am markt")
    (updated,) = store.staged
    assert (updated.name, updated.changed) == ("Weltladen am Markt", ["name", "website"])
    assert await store.pending_change(business_id) is None
    with pytest.raises(Conflict):
        await handlers.approve_change(store, pending["id"], now=LATER, settings=SETTINGS)
    with pytest.raises(NotFound):
        await handlers.reject_change(store, str(uuid.uuid4()), "nein", now=LATER)


async def test_a_rejection_changes_nothing_public_and_keeps_the_note_for_the_owner():
    store = FakeStore()
    business_id = await shop(store)
    await edit(store, business_id, {"name": PHISHING})
    before = dict(store.profiles[business_id])
    pending = await store.pending_change(business_id)
    decided, _ = await handlers.reject_change(store, pending["id"], "Kein Name mit Link.", now=LATER)
    assert (decided["status"], decided["note"]) == ("rejected", "Kein Name mit Link.")
    assert store.profiles[business_id] == before  # nothing public; only the owner's mail with the note
    assert store.take() == [("private.directory.business.owner_notice", "change_rejected")]
    assert store.staged == [] and await store.pending_change(business_id) is None


async def test_the_office_edits_live_and_archiving_withdraws_what_waits():
    store = FakeStore()
    business_id = await shop(store)
    await edit(store, business_id, {"name": "Neuer Name"}, by_office=True)
    assert store.take() == [(UPDATED, "Neuer Name")] and await waiting(store, business_id) is None
    await edit(store, business_id, {"description": "Wartet."})
    pending = await store.pending_change(business_id)
    await handlers.change_status(store, business_id, "archived", now=LATER, settings=SETTINGS)
    assert store.changes[pending["id"]]["status"] == "withdrawn"


async def test_events_of_a_profile_the_public_cannot_see_carry_no_name():
    store = FakeStore()
    profile, _ = await handlers.register_business(store, fields(name=PHISHING), self_registered=True, now=NOW)
    business_id = profile["id"]
    await edit(store, business_id, {"name": f"Neu: {PHISHING}"})
    await handlers.change_status(store, business_id, "published", now=LATER, settings=SETTINGS)
    await handlers.change_status(store, business_id, "unpublished", now=LATER, settings=SETTINGS)
    await edit(store, business_id, {"name": "Umbenannt"})
    await handlers.change_status(store, business_id, "archived", now=LATER, settings=SETTINGS)
    public = [(t, name) for t, name in store.take() if not t.startswith("private.")]
    assert public == [
        ("directory.business.registered", None),
        (UPDATED, None),
        ("directory.business.published", f"Neu: {PHISHING}"),  # the office published what it saw
        ("directory.business.unpublished", f"Neu: {PHISHING}"),
        (UPDATED, None),
        ("directory.business.archived", None),
    ]


# --- the service as a process, on SQLite and PostgreSQL --------------------------------------------


def pending_of(client, business_id: str, headers: dict) -> dict | None:
    answer = client.get(f"/businesses/{business_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["pending_change"]


async def test_an_owners_new_name_waits_until_the_office_approves_it_while_the_phone_is_live(directory_any_db):
    tag = uuid.uuid4().hex[:8]
    with directory_any_db.client() as client:
        created = published(client, name=f"Bäckerei Review {tag}")
        url, token = f"/businesses/{created['id']}", owner(created["edit_token"])
        answer = client.patch(url, headers=token, json={"phone": "02041 999999", "name": f"Backhaus {tag}"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["phone"] == "02041 999999" and answer.json()["name"] == f"Bäckerei Review {tag}"
        assert answer.json()["pending_change"]["fields"] == {"name": f"Backhaus {tag}"}
        public = client.get(url).json()
        assert public["phone"] == "02041 999999" and public["name"] == f"Bäckerei Review {tag}"
        assert "pending_change" not in public
        assert client.get("/businesses", params={"q": f"Backhaus {tag}"}).json()["total"] == 0

        assert client.get("/changes").status_code == 401
        assert client.get("/changes", headers=token).status_code == 401  # an owner is not the office
        queue = client.get("/changes", headers=OPERATOR, params={"per_page": 100}).json()["items"]
        (change,) = [c for c in queue if c["business_id"] == created["id"]]
        assert change["business_name"] == f"Bäckerei Review {tag}" and change["status"] == "pending"
        assert client.post(f"/changes/{change['id']}/approve", headers=token).status_code == 401
        assert [c["id"] for c in client.get(f"{url}/changes", headers=token).json()] == [change["id"]]

        approved = client.post(f"/changes/{change['id']}/approve", headers=OPERATOR)
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved" and approved.json()["business_name"] == f"Backhaus {tag}"
        assert client.get(url).json()["name"] == f"Backhaus {tag}"
        assert client.get("/businesses", params={"q": f"Backhaus {tag}"}).json()["total"] == 1
        assert pending_of(client, created["id"], token) is None
        assert client.post(f"/changes/{change['id']}/approve", headers=OPERATOR).status_code == 409
    events = await events_of(
        directory_any_db.nats_url, "DIRECTORY", f"hallobot.directory.business.updated.{created['id']}", 2
    )
    assert [(e["data"]["name"], e["data"]["changed"]) for e in events] == [
        (f"Bäckerei Review {tag}", ["phone"]),
        (f"Backhaus {tag}", ["name"]),
    ]
    assert events[1]["dataschema"].endswith("/directory.business.updated/v2.json")


async def test_a_rejected_change_leaves_the_public_profile_and_the_streams_as_they_were(directory_any_db):
    tag = uuid.uuid4().hex[:8]
    with directory_any_db.client() as client:
        created = published(client, name=f"Metzgerei Review {tag}")
        url, token = f"/businesses/{created['id']}", owner(created["edit_token"])
        before = client.get(url).json() | {"open_now": None}
        edited = client.patch(url, headers=token, json={"description": PHISHING, "website": "https://evil.example/"})
        assert edited.status_code == 200 and edited.json()["description"] == before["description"]
        change = pending_of(client, created["id"], token)
        assert client.post(f"/changes/{change['id']}/reject", headers=OPERATOR, json={}).status_code == 422
        rejected = client.post(f"/changes/{change['id']}/reject", headers=OPERATOR, json={"note": "Bitte ohne Link."})
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
        assert client.get(url).json() | {"open_now": None} == before
        history = client.get(f"{url}/changes", headers=token).json()
        assert [(c["status"], c["note"]) for c in history] == [("rejected", "Bitte ohne Link.")]
        assert pending_of(client, created["id"], token) is None
        assert client.post(f"/changes/{change['id']}/approve", headers=OPERATOR).status_code == 409
        assert client.post(f"/changes/{uuid.uuid4()}/approve", headers=OPERATOR).status_code == 404
    events = await events_of(
        directory_any_db.nats_url, "DIRECTORY", f"hallobot.directory.business.*.{created['id']}", 2
    )
    assert [e["type"].rsplit(".", 1)[-1] for e in events] == ["registered", "published"]


async def test_a_pending_profile_renamed_to_a_phishing_text_never_reaches_a_public_subject(directory_any_db):
    with directory_any_db.client() as client:
        created = register(client, name="Kiosk Ecke")
        url, token = f"/businesses/{created['id']}", owner(created["edit_token"])
        renamed = client.patch(url, headers=token, json={"name": PHISHING, "description": PHISHING})
        assert renamed.status_code == 200 and renamed.json()["name"] == PHISHING  # the owner sees the draft
        assert client.get(url).status_code == 404
        assert client.delete(url, headers=token).status_code == 200
    subject = f"hallobot.directory.business.*.{created['id']}"
    events = await events_of(directory_any_db.nats_url, "DIRECTORY", subject, 3)
    assert [e["type"].rsplit(".", 1)[-1] for e in events] == ["registered", "updated", "archived"]
    assert all(e["data"]["name"] is None for e in events)
    client = await nats.connect(directory_any_db.nats_url)
    try:
        js = client.jetstream()
        for info in await js.streams_info():
            if info.config.name in ("PRIVATE", "DLQ"):
                continue  # internal services only (the owner's own notices)
            for message in await stream_messages(js, info.config.name):
                assert b"evil.example" not in message.data, (info.config.name, message.subject)
    finally:
        await client.close()
