"""Rules without I/O, and the daily digest against a real (SQLite) database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.notifications import delivery_rules, domain, handlers, models
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


def test_the_office_hears_of_outages_and_recoveries_but_not_of_every_flicker():
    assert domain.operator_wants("wifi.hotspot.status_changed", {"previous": "up", "status": "down"})
    assert domain.operator_wants("wifi.hotspot.status_changed", {"previous": "down", "status": "up"})
    assert not domain.operator_wants("wifi.hotspot.status_changed", {"previous": "up", "status": "degraded"})
    assert domain.operator_wants("directory.business.registered", {"self_registered": True})
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
    db, settings = Database(url), NotificationsSettings(public_url="http://n.test")
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
                domain.link_token(settings.secret_key.get_secret_value(), "confirm", subscription.id),
            )
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
        assert "rathaus" in digest["body"] and "List-Unsubscribe" in digest["headers"]
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


def test_web_addresses_in_a_mail_text_become_links_and_everything_else_is_escaped():
    from services.notifications.mailer import linked

    html = linked('Grüße <b>"Café"</b> & Co\nAbmelden: https://n.test/u?a=1&b=2. Oder (http://n.test/x).')
    assert html == (
        "Grüße &lt;b&gt;&#34;Café&#34;&lt;/b&gt; &amp; Co<br>Abmelden: "
        '<a href="https://n.test/u?a=1&amp;b=2">https://n.test/u?a=1&amp;b=2</a>. '
        'Oder (<a href="http://n.test/x">http://n.test/x</a>).'
    )
    assert linked("javascript:alert(1) <script>") == "javascript:alert(1) &lt;script&gt;"
