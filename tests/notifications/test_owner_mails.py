"""Business owners' mails (issue 3 × issue 6): the directory announces a publication and a stale period on
the PRIVATE stream (`private.directory.business.owner_notice`), the notifications service mails the owner.
Real: nats-server, both services as processes over HTTP, aiosmtpd; the stale job runs every 0.2 s."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services.directory import handlers as directory_handlers
from services.directory.config import DirectorySettings
from services.directory.models import businesses, outbox
from services.directory.schemas import BusinessCreate
from services.directory.store import SqlStore
from shared.db import Database
from shared.envelope import CloudEvent, utcnow
from shared.migrations import upgrade_async
from tests.directory.conftest import OPERATOR as DIRECTORY_OPERATOR
from tests.directory.conftest import owner, profile, published, register, start_directory, stream_bodies
from tests.notifications.conftest import body_text, deliveries, service_env, start_service, until

PROFILE_URL = "https://hallo-bot.de/verzeichnis/{id}"


def fields(**overrides) -> dict:
    """A registration's fields as the route hands them to the use case (validated, JSON values)."""
    return BusinessCreate(**profile(**overrides)).model_dump(mode="json")


def set_touched(directory, business_id: str, when: str, published: str | None = None) -> None:
    with sqlite3.connect(directory.database_url.removeprefix("sqlite:///")) as db:
        db.execute(
            "UPDATE businesses SET touched_at = ?, published_at = coalesce(?, published_at) WHERE id = ?",
            (when, published, business_id),
        )


async def test_publishing_mails_the_owner_once_and_a_stale_profile_is_nudged_once_per_period(
    nats_server, smtp, tmp_path
):
    directory = start_directory(
        nats_server.url,
        f"sqlite:///{tmp_path / 'directory.sqlite3'}",
        tmp_path,
        DIRECTORY_JOB_INTERVAL_S="0.2",
        DIRECTORY_PUBLIC_URL=PROFILE_URL,
    )
    notifications = start_service(service_env(nats_server.url, smtp.port, tmp_path / "var"), tmp_path)
    address, other = f"inhaber-{uuid.uuid4().hex[:6]}@example.org", f"entwurf-{uuid.uuid4().hex[:6]}@example.org"
    try:
        with directory.client() as client:
            shop = published(client, owner_email=address, owner_language="en", name="Kaffeerösterei Malakoff")
            register(client, owner_email=other)  # a draft: its owner hears nothing yet
            published(client, owner_email=None)  # no owner address: nobody to write to
            assert await until(lambda: smtp.to(address))
            again = client.post(f"/businesses/{shop['id']}/publish", headers=DIRECTORY_OPERATOR)
            assert again.status_code == 200  # publishing a published profile changes and announces nothing
            await asyncio.sleep(1.0)
            (mail,) = smtp.to(address)
            assert mail["Subject"] == "Your listing is published: Kaffeerösterei Malakoff"
            assert mail["Content-Language"] == "en" and mail.get_content_type() == "multipart/alternative"
            text = body_text(mail)
            assert PROFILE_URL.format(id=shop["id"]) in text
            assert shop["edit_token"] not in mail.as_string()  # the token exists only as a hash
            assert not smtp.to(other)

            # Stale: six months untouched. The job runs every 0.2 s and nudges once for this period.
            set_touched(directory, shop["id"], "2020-01-01 00:00:00.000000", published="2020-01-01 00:00:00.000000")
            assert await until(lambda: len(smtp.to(address)) == 2)
            await asyncio.sleep(1.5)  # several more job runs
            assert len(smtp.to(address)) == 2
            nudge = smtp.to(address)[1]
            assert nudge["Subject"] == "Please check your listing: Kaffeerösterei Malakoff"
            assert "2020" in body_text(nudge) and PROFILE_URL.format(id=shop["id"]) in body_text(nudge)

            # The owner confirms (an empty save): no longer stale, no nudge.
            confirmed = client.patch(f"/businesses/{shop['id']}", json={}, headers=owner(shop["edit_token"]))
            assert confirmed.status_code == 200 and confirmed.json()["stale"] is False
            await asyncio.sleep(1.0)
            assert len(smtp.to(address)) == 2
            # ... and six months later it is stale again: a new period, one new nudge.
            set_touched(directory, shop["id"], "2021-02-03 00:00:00.000000")
            assert await until(lambda: len(smtp.to(address)) == 3)
            await asyncio.sleep(1.5)
            assert len(smtp.to(address)) == 3

        private = await stream_bodies(nats_server.url, "PRIVATE", "hallobot.private.directory.>")
        mine = [b for b in private if b["data"]["email"] == address]
        assert [b["data"]["kind"] for b in mine] == ["published", "stale", "stale"]
        assert all(b["data"]["edit_url"] is None for b in mine)
        # The public stream still carries no address and no owner field.
        public = await stream_bodies(nats_server.url, "DIRECTORY")
        assert public and all("@" not in json.dumps(b["data"]) for b in public)
        assert not any(key.startswith("owner") for b in public for key in b["data"])

        sent = [d for d in deliveries(notifications, status="sent") if d["template"] == "owner"]
        assert len([d for d in sent if d["recipient"] == address]) == 3
    finally:
        notifications.kill()
        directory.process.kill()


async def test_the_same_owner_notice_delivered_twice_gives_one_mail(notifications, smtp, nc):
    from shared.catalog import BusinessOwnerNotice
    from tests.notifications.conftest import publish

    notice = BusinessOwnerNotice(
        business_id="b1",
        business_name="Bäckerei Beispiel",
        kind="published",
        email="baecker@example.org",
        profile_url=PROFILE_URL.format(id="b1"),
    )
    event = await publish(nc, notice)
    await publish(nc, notice, event=event, msg_id="again")  # past the broker's dedup: a second delivery
    assert await until(lambda: smtp.to("baecker@example.org"))
    await asyncio.sleep(1.0)
    (mail,) = smtp.to("baecker@example.org")
    assert mail["Subject"] == "Ihr Eintrag ist veröffentlicht: Bäckerei Beispiel"
    assert "amt@bottrop.de" in body_text(mail)  # where to ask for a new edit link: the office


async def test_the_stale_job_marks_each_period_once_on_both_databases(database_url):
    """The SQL of the stale nudge on SQLite and PostgreSQL: one notice per `touched_at`, none for drafts."""
    await upgrade_async("directory", database_url)
    db, settings = Database(database_url), DirectorySettings(public_url=PROFILE_URL)
    now = utcnow()
    try:
        async with db.transaction() as session:
            store = SqlStore(session)
            shop, _ = await directory_handlers.register_business(
                store, fields(owner_email="a@example.org"), self_registered=True, now=now
            )
            await directory_handlers.change_status(store, shop["id"], "published", now=now, settings=settings)
            draft, _ = await directory_handlers.register_business(
                store, fields(owner_email="b@example.org"), self_registered=True, now=now
            )
            await session.execute(update(businesses).values(touched_at=now - timedelta(days=400)))

        async def run(at) -> int:
            async with db.transaction() as session:
                return await directory_handlers.notify_stale_owners(SqlStore(session), now=at, settings=settings)

        assert await run(now) == 0  # untouched for long, but just published: the owner just had that mail
        async with db.transaction() as session:
            await session.execute(update(businesses).values(published_at=now - timedelta(days=400)))
        assert [await run(now), await run(now), await run(now + timedelta(days=1))] == [1, 0, 0]
        async with db.transaction() as session:  # a touch, then another stale period
            await session.execute(
                update(businesses).where(businesses.c.id == shop["id"]).values(touched_at=now - timedelta(days=200))
            )
        assert [await run(now), await run(now)] == [1, 0]
        async with db.reading() as session:
            payloads = (await session.execute(select(outbox.c.subject, outbox.c.payload))).all()
        notices = [CloudEvent.model_validate_json(p).data for s, p in payloads if s.startswith("hallobot.private.")]
        assert [(n["kind"], n["business_id"]) for n in notices] == [
            ("published", shop["id"]),
            ("stale", shop["id"]),
            ("stale", shop["id"]),
        ]
        assert draft["id"] not in {n["business_id"] for n in notices}
    finally:
        await db.dispose()


@pytest.mark.parametrize("language", ["de", "en"])
def test_owner_mails_render_in_german_and_english_as_text_and_html(language):
    from services.notifications.mailer import render

    edit_url = "https://hallo-bot.de/verzeichnis/eintrag/zugang?token=hbe_x"
    note = "Bitte ergänzen Sie <b>Öffnungszeiten</b>."
    for kind in ("published", "stale", "registered", "link", "returned", "change_rejected"):
        with_link = kind in ("registered", "link")
        rendered = render(
            "owner",
            language,
            {
                "kind": kind,
                "business_name": "Café <Malakoff>",
                "business_id": "b1",
                "email": "x@example.org",
                "language": language,
                "profile_url": "https://hallo-bot.de/verzeichnis/b1",
                "edit_url": edit_url if with_link else None,
                "touched_at": "2020-01-01T00:00:00Z" if kind == "stale" else None,
                "note": note if kind in ("returned", "change_rejected") else None,
                "owner_contact": "amt@bottrop.de",
                "link_request_url": "https://hallo-bot.de/verzeichnis/eintrag/link",
            },
        )
        assert "Café <Malakoff>" in rendered.subject and "https://hallo-bot.de/verzeichnis/b1" in rendered.text
        assert "Café &lt;Malakoff&gt;" in rendered.html and f'lang="{language}"' in rendered.html
        # the edit link when one was just issued, else where to ask for a new one; both clickable
        shown = edit_url if with_link else "https://hallo-bot.de/verzeichnis/eintrag/link"
        assert shown in rendered.text and f'href="{shown.replace("&", "&amp;")}"' in rendered.html
        # the office's note, as it wrote it, escaped in HTML
        assert (note in rendered.text) == (kind in ("returned", "change_rejected"))
        assert ("ergänzen Sie &lt;b&gt;" in rendered.html) == (kind in ("returned", "change_rejected"))


async def test_the_edit_link_of_a_sign_up_reaches_the_owner_but_is_not_kept_in_the_database(
    notifications, smtp, nc, tmp_path
):
    from shared.catalog import BusinessOwnerNotice
    from tests.notifications.conftest import publish

    edit_url = "http://127.0.0.1:8000/verzeichnis/eintrag/zugang?token=hbe_secret_0123456789"
    notice = BusinessOwnerNotice(
        business_id="b2",
        business_name="Blumen Becker",
        kind="registered",
        email="blumen@example.org",
        edit_url=edit_url,
    )
    await publish(nc, notice)
    assert await until(lambda: smtp.to("blumen@example.org"))
    (mail,) = smtp.to("blumen@example.org")
    assert mail["Subject"] == "Danke für Ihre Anmeldung: Blumen Becker"
    assert edit_url in body_text(mail) and "meist innerhalb von zwei Werktagen" in body_text(mail)

    def stored() -> list[tuple]:
        with sqlite3.connect(tmp_path / "var" / "notifications.sqlite3") as db:
            query = "SELECT body, html, secret_link, status FROM deliveries WHERE template = 'owner'"
            return db.execute(query).fetchall()

    # once the server took the mail, the row keeps the placeholder only
    assert await until(lambda: [row[2:] for row in stored()] == [(None, "sent")])
    assert not any("hbe_secret" in f"{body}{html}" for body, html, _, _ in stored())


@pytest.mark.parametrize("language", ["de", "en"])
def test_network_mails_render_the_meeting_and_the_offices_text_with_only_our_link_clickable(language):
    from services.notifications.mailer import render

    common = {
        "business_name": "Café <Malakoff>",
        "business_id": "b1",
        "email": "x@example.org",
        "language": language,
        "network_name": "Wirtschaftsallianz Bottrop",
        "owner_contact": "amt@bottrop.de",
        "link_request_url": "https://hallo-bot.de/verzeichnis/eintrag/link",
        "edit_url": None,
    }
    event_url = "https://hallo-bot.de/veranstaltungen/e1"
    invitation = render(
        "owner",
        language,
        common
        | {
            "kind": "network_invitation",
            "event_title": "Jahrestreffen <2031>",
            "starts_at": "2031-03-10T17:00:00Z",
            "event_url": event_url,
        },
    )
    assert invitation.subject.endswith("Jahrestreffen <2031> (Wirtschaftsallianz Bottrop)")
    assert "18:00" in invitation.text and event_url in invitation.text  # Berlin time
    assert f'href="{event_url}"' in invitation.html and "Jahrestreffen &lt;2031&gt;" in invitation.html
    assert "eintrag/link" not in invitation.text  # no edit-link paragraph in a network mail
    message = "Anmeldung unter https://example.com/phish bis <Freitag>."
    announcement = render(
        "owner", language, common | {"kind": "network_announcement", "headline": "Treffen", "message": message}
    )
    assert announcement.subject == "Wirtschaftsallianz Bottrop: Treffen" and message in announcement.text
    assert "&lt;Freitag&gt;" in announcement.html and 'href="https://example.com/phish"' not in announcement.html
