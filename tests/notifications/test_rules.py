"""Rules without I/O, and the daily digest against a real (SQLite) database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.notifications import delivery_rules, domain, domain_public, handlers, models
from services.notifications.config import NotificationsSettings
from services.notifications.handlers_delivery import make_digests
from services.notifications.handlers_fanout import fan_out
from services.notifications.repository import SqlRepository
from services.notifications.webhooks import signed_headers
from shared.catalog import HotspotStatusChanged
from shared.db import Database
from shared.envelope import utcnow
from shared.migrations import upgrade_async


def test_a_subscription_narrowed_to_one_hotspot_hears_only_of_that_one():
    data = {"hotspot_id": "kirchplatz", "status": "down"}
    assert domain.wants(["wifi.hotspot.*"], {"hotspot_id": "kirchplatz"}, "wifi.hotspot.status_changed", data)
    assert not domain.wants(["wifi.hotspot.*"], {"hotspot_id": "rathaus"}, "wifi.hotspot.status_changed", data)
    assert not domain.wants(["events.event.published"], {}, "wifi.hotspot.status_changed", data)
    assert domain.wants(
        ["wifi.hotspot.incident_opened"],
        {"hotspot_id": "rathaus"},
        "wifi.hotspot.incident_opened",
        {"hotspot_ids": ["rathaus", "hansa"]},
    )
    assert domain.topic_is_known("wifi.hotspot.*") and not domain.topic_is_known("private.events.*")


def test_the_office_hears_of_outages_as_wifi_tells_them_and_not_of_each_status_change():
    for told in ("outage_announced", "recovery_announced", "incident_opened", "incident_resolved"):
        assert domain.operator_wants(f"wifi.hotspot.{told}", {})
    assert not domain.operator_wants("wifi.hotspot.status_changed", {"previous": "up", "status": "down"})
    assert not domain.operator_wants("wifi.hotspot.status_changed", {"previous": "down", "status": "up"})
    assert domain.operator_wants("directory.business.registered", {"self_registered": True})
    assert domain.operator_wants("wifi.hotspot.monthly_report", {"month": "2025-03", "hotspots": []})
    assert not domain.operator_wants("directory.business.registered", {"self_registered": False})


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.5",
        "169.254.169.254",
        "::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
        "224.0.0.1",
    ],
)
def test_webhooks_into_loopback_link_local_or_private_networks_are_refused(address):
    assert delivery_rules.target_refusal("hook.example", [address], []) is not None
    assert delivery_rules.target_refusal("hook.example", ["93.184.216.34"], []) is None
    assert delivery_rules.target_refusal("hook.example", [address], ["hook.example"]) is None


def test_an_allowlisted_range_must_cover_every_address_a_name_resolves_to():
    assert delivery_rules.target_refusal("intra", ["10.20.1.1"], ["10.20.0.0/16"]) is None
    assert delivery_rules.target_refusal("intra", ["10.20.1.1", "127.0.0.1"], ["10.20.0.0/16"]) is not None


def test_the_signature_matches_the_standard_webhooks_reference_vector():
    # From the Standard Webhooks reference libraries' tests.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = datetime.fromtimestamp(1614265330, UTC)
    headers = signed_headers(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", '{"test": 2432232314}', now=at)
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"
    assert headers["content-type"] == "application/cloudevents+json"


def test_backoff_doubles_and_is_capped_and_smtp_5xx_is_final():
    assert [delivery_rules.backoff(n, 2, 30).total_seconds() for n in (1, 2, 3, 4, 5, 6)] == [2, 4, 8, 16, 30, 30]
    assert delivery_rules.classify_smtp_failure(451, "later").retry
    assert not delivery_rules.classify_smtp_failure(550, "no such user").retry


def test_pseudonyms_are_stable_keyed_and_not_the_address():
    one = domain.pseudonym("k1", "Anna@Example.org")
    assert one == domain.pseudonym("k1", "anna@example.org") != domain.pseudonym("k2", "anna@example.org")
    assert "anna" not in one


async def test_a_daily_subscriber_gets_one_digest_instead_of_each_mail(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.sqlite3'}"
    await upgrade_async("notifications", url)
    db, settings = Database(url), NotificationsSettings(site_url="http://site.test")
    try:
        async with db.transaction() as session:
            repo = SqlRepository(session)
            subscription, _ = await handlers.subscribe(
                repo,
                settings,
                channel="email",
                address="d@example.org",
                topics=["wifi.hotspot.status_changed"],
                filters={},
                language="de",
                digest="daily",
            )
            await handlers.confirm(
                repo,
                settings,
                subscription.id,
                domain.confirm_token(settings.secret_key.get_secret_value(), subscription.id, 2**32),
            )
            await repo.set_hotspot("rathaus", {"site_name": "Rathaus"})  # the hotspot board names the site
        for status in ("down", "up"):
            event = HotspotStatusChanged(hotspot_id="rathaus", previous=None, status=status, since=utcnow()).to_event()
            async with db.transaction() as session:
                await fan_out(SqlRepository(session), settings, event)
        assert await make_digests(db, settings, utcnow() + timedelta(hours=1)) == 1
        assert await make_digests(db, settings, utcnow() + timedelta(hours=2)) == 0  # nothing new held
        async with db.reading() as session:
            rows = (await session.execute(select(models.deliveries))).mappings().all()
        by_template = {}
        for r in rows:
            by_template.setdefault(r["template"], []).append(r)
        assert [r["status"] for r in by_template["notification"]] == ["digested", "digested"]
        (digest,) = by_template["digest"]
        assert digest["status"] == "pending" and "(2)" in digest["subject"]
        assert "WLAN-Hotspot Rathaus ist jetzt" in digest["body"] and "rathaus" not in digest["body"]
        assert "List-Unsubscribe" in digest["headers"]
    finally:
        await db.dispose()


def test_the_sender_writes_mime_that_parses_back_to_what_was_rendered():
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    from services.notifications.mailer import outgoing

    delivery = {
        "id": "0b6c3f5e-1111-4222-8333-944455556666",
        "recipient": "anna@example.org",
        "subject": "Anmeldung bestätigt: Gründerfrühstück " + "ä" * 80,
        "body": "Grüße\n\n" + "x" * 2000 + "\n",
        "html": "<p>Grüße</p>\n",
        "created_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "headers": {
            "Content-Language": "de",
            "List-Unsubscribe": "<https://n.test/u?token=abc>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }
    mail = outgoing(delivery, "Amt für Wirtschaftsförderung <noreply@hallo-bot.de>")
    assert mail.sender == "noreply@hallo-bot.de" and isinstance(mail.data, bytes)
    assert max(len(line) for line in mail.data.split(b"\r\n")) <= 998 and mail.data.isascii()  # RFC 5322
    message = message_from_bytes(mail.data, policy=policy.default)
    assert not message.defects and message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == delivery["subject"] and message["Content-Language"] == "de"
    assert message["From"] == "Amt für Wirtschaftsförderung <noreply@hallo-bot.de>"
    assert message["Message-ID"] == f"<{delivery['id']}@hallo-bot.de>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_body(("plain",)).get_content() == delivery["body"]
    assert message.get_body(("html",)).get_content() == delivery["html"]
    text_only = message_from_bytes(outgoing(delivery | {"html": None}, "x@hallo-bot.de").data, policy=policy.default)
    assert text_only.get_content_type() == "text/plain" and text_only.get_content() == delivery["body"]
    # An internationalised address goes the EmailMessage way (SMTPUTF8 when the server offers it).
    assert isinstance(outgoing(delivery | {"recipient": "jörg@bäckerei.de"}, "x@hallo-bot.de").data, EmailMessage)


def test_only_the_links_halloBot_built_become_links_and_every_other_address_stays_text():
    from services.notifications.mailer import linked

    ours = "https://n.test/u?a=1&b=2"
    html = linked(f'Grüße <b>"Café"</b> & Co\nAbmelden: {ours}. Oder (http://evil.example/login).', {ours})
    assert html == (
        "Grüße &lt;b&gt;&#34;Café&#34;&lt;/b&gt; &amp; Co<br>Abmelden: "
        '<a href="https://n.test/u?a=1&amp;b=2">https://n.test/u?a=1&amp;b=2</a>. '
        "Oder (http://evil.example/login)."
    )
    # an address that merely begins with ours is not ours
    assert "<a" not in linked(f"{ours}.evil.example/login", {ours})
    assert "<a" not in linked("Jetzt bestätigen: https://evil.example/login")  # no links given: none made
    assert linked("javascript:alert(1) <script>") == "javascript:alert(1) &lt;script&gt;"


def test_a_failure_reason_hides_the_recipient_in_any_case_and_any_other_address():
    reason = "550 5.1.1 <ANNA.Beispiel@EXAMPLE.org>: unknown; forwarded from ops@Mail.Example.net"
    hidden = domain_public.hide_addresses(reason, "anna.beispiel@example.org")
    assert hidden == "550 5.1.1 <<recipient>>: unknown; forwarded from <recipient>"
    assert domain_public.hide_addresses("timeout talking to HTTPS://Hook.Example/x", "https://hook.example/x") == (
        "timeout talking to <recipient>"
    )


def test_the_feed_shows_a_profile_only_while_it_was_published_at_that_point_of_the_stream():
    from services.notifications.feed_stream import Profiles, public_data
    from shared.catalog import (
        BusinessArchived,
        BusinessPublished,
        BusinessRegistered,
        BusinessUnpublished,
        BusinessUpdated,
        EventPublished,
    )

    phish = "Jetzt bestätigen: https://evil.example/login"
    stream = [
        BusinessRegistered(business_id="b1", name="Laden", category="einzelhandel", self_registered=True),
        BusinessUpdated(business_id="b1", name=phish, category="einzelhandel", changed=["name"]),  # pending
        BusinessPublished(business_id="b1", name="Laden", category="einzelhandel"),
        BusinessUpdated(business_id="b1", name="Laden & Café", category="einzelhandel", changed=["name"]),
        BusinessUnpublished(business_id="b1", name="Laden & Café", category="einzelhandel"),
        BusinessUpdated(business_id="b1", name=phish, category="einzelhandel", changed=["name"]),  # unpublished
        BusinessArchived(business_id="b1", name=phish, category="einzelhandel"),
        BusinessArchived(business_id="b2", name=phish, category="einzelhandel"),  # never published
    ]
    raws = [data.to_event().to_json() for data in stream]
    profiles = Profiles()
    live = [public_data(raw, seq, profiles, note=True) is not None for seq, raw in enumerate(raws, 1)]
    assert live == [False, False, True, True, True, False, False, False]
    # a replay later, from any point, decides the same way (what was true at each sequence)
    assert [public_data(raw, seq, profiles) is not None for seq, raw in enumerate(raws, 1)] == live
    starts = utcnow()
    other = EventPublished(event_id="e1", title="Markt", starts_at=starts, ends_at=starts).to_event().to_json()
    assert public_data(other, 99, profiles) is not None


@pytest.mark.parametrize(
    "bad", ["x", "1-2-3", "1-2-3-4-5", "1-2-a-4", "-1-2-3", "1-2-3-99999999999999999999999", "١-2-3-4"]
)
def test_a_feed_id_is_four_stream_sequences_or_refused(bad):
    from services.notifications.feed_stream import parse_position

    assert parse_position("12-40-1002-3") == [12, 40, 1002, 3] and parse_position("0-0-0-0") == [0, 0, 0, 0]
    assert parse_position(None) is None and parse_position("") is None
    with pytest.raises(ValueError):
        parse_position(bad)


def test_a_registration_mail_carries_none_of_the_registrants_text_and_links_only_ours():
    from services.notifications.mailer import render

    starts = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    cancel = "https://events.test/registrations/r1/cancel?token=abc"
    context = {
        "kind": "confirmed",
        "name": "Ihr Konto wird gesperrt. Jetzt bestätigen: https://evil.example/login",
        "event_title": "Gründerfrühstück",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "venue": "Rathaus Bottrop",
        "online_url": None,
        "position": None,
        "cancel_url": cancel,
    }
    for lang in ("de", "en"):
        mail = render("registration", lang, context)
        assert "evil.example" not in mail.subject + mail.text + mail.html and "gesperrt" not in mail.text
        assert mail.text.startswith(("Guten Tag,\n", "Hello,\n"))
        assert mail.html.count("<a href=") == 1 and f'<a href="{cancel}">' in mail.html


async def test_the_upgrade_removes_cancel_tokens_from_sent_mails_and_seals_the_kept_links(tmp_path, monkeypatch):
    import asyncio

    from sqlalchemy import insert

    from services.notifications.sealed import unseal
    from shared.migrations import upgrade

    url = f"sqlite:///{tmp_path / 'n.sqlite3'}"
    monkeypatch.setenv("NOTIFICATIONS_SECRET_KEY", "the-key-of-this-installation")
    await asyncio.to_thread(upgrade, "notifications", url, "0002")
    link = "http://127.0.0.1:8002/registrations/r1/cancel?token=RawToken123"
    now = utcnow()
    db = Database(url)
    try:
        async with db.transaction() as session:  # as a version before 0003 left them
            row = dict(event_id="e1", event_type="events.registration.notice", channel="email", recipient="a@x.org")
            row |= dict(recipient_ref="psn_1", subject="s", headers={}, attempts=1, next_attempt_at=now, created_at=now)
            await session.execute(
                insert(models.deliveries).values(
                    id="d1",
                    template="registration",
                    status="sent",
                    body=f"Stornieren:\n{link}\n",
                    html=f'<a href="{link}">{link}</a>',
                    **row,
                )
            )
            await session.execute(
                insert(models.registrant_links).values(registration_id="r1", cancel_url=link, forget_after=now)
            )
        await asyncio.to_thread(upgrade, "notifications", url)
        async with db.reading() as session:
            mail = (await session.execute(select(models.deliveries))).mappings().one()
            kept = (await session.execute(select(models.registrant_links.c.cancel_url))).scalar_one()
    finally:
        await db.dispose()
    assert "RawToken123" not in mail["body"] + mail["html"] and "token=…" in mail["body"]
    assert "RawToken123" not in kept and unseal("the-key-of-this-installation", kept) == link
