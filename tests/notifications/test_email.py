"""Email: double opt-in, one-click unsubscribe, registrant mails, retries and exactly-once sending."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from shared.catalog import (
    HotspotOutageAnnounced,
    HotspotRecoveryAnnounced,
    HotspotRegistered,
    HotspotStatusChanged,
    RegistrantNotice,
)
from shared.envelope import utcnow
from tests.notifications.conftest import (
    AUTH,
    OFFICE,
    body_text,
    deliveries,
    link,
    press,
    publish,
    service_env,
    start_service,
    until,
)
from tests.support.stream import stream_messages


def status_change(hotspot="kirchplatz", previous="up", status="degraded"):
    return HotspotStatusChanged(hotspot_id=hotspot, previous=previous, status=status, reason="test", since=utcnow())


def notice(registration_id: str, kind="confirmed", email="anna@example.org", language="de", cancel_url=None):
    starts = utcnow() + timedelta(days=3)
    return RegistrantNotice(
        registration_id=registration_id,
        event_id="ev1",
        kind=kind,
        email=email,
        name="Anna Beispiel",
        language=language,
        cancel_url=cancel_url,
        event_title="Gründerfrühstück",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue="Rathaus Bottrop",
    )


async def test_no_mail_before_confirming_and_none_after_unsubscribing(notifications, smtp, nc):
    await publish(nc, HotspotRegistered(hotspot_id="kirchplatz", site_name="Kirchplatz"))
    response = httpx.post(
        f"{notifications.url}/subscriptions",
        json={
            "email": "bea@example.org",
            "topics": ["wifi.hotspot.status_changed"],
            "filters": {"hotspot_id": "kirchplatz"},
        },
    )
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert await until(lambda: smtp.to("bea@example.org"))
    (confirmation,) = smtp.to("bea@example.org")
    assert "bestätigen" in confirmation["Subject"]
    confirm_url = link(confirmation, "confirm")

    await publish(nc, status_change())
    await asyncio.sleep(1.0)
    assert len(smtp.to("bea@example.org")) == 1, "a mail went out before the subscription was confirmed"

    assert "<form" in httpx.get(confirm_url).text  # a link scanner's GET confirms nothing
    await publish(nc, status_change(status="down"))
    await asyncio.sleep(0.5)
    assert len(smtp.to("bea@example.org")) == 1
    assert "Ihr Abonnement ist bestätigt" in press(confirm_url).text

    await publish(nc, status_change(hotspot="rathaus"))  # another hotspot: filtered out
    await publish(nc, status_change(previous="down", status="up"))
    assert await until(lambda: len(smtp.to("bea@example.org")) == 2)
    mail = smtp.to("bea@example.org")[1]
    assert mail["Subject"] == "WLAN-Hotspot Kirchplatz ist jetzt in Betrieb (vorher ausgefallen)."
    unsubscribe_url = link(mail, "unsubscribe")
    assert mail["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # RFC 8058: the mail client POSTs the form body to the URL, no cookies, no page.
    one_click = httpx.post(
        unsubscribe_url,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    await publish(nc, status_change(previous="up", status="down"))
    await asyncio.sleep(1.0)
    assert len(smtp.to("bea@example.org")) == 2
    assert httpx.post(unsubscribe_url.replace("token=", "token=x")).status_code == 404


async def test_registrants_get_their_mails_with_the_cancel_link_also_after_the_first(notifications, smtp, nc):
    cancel = "http://127.0.0.1:8002/registrations/r1/cancel?token=abc123"
    await publish(nc, notice("r1", "waitlisted", language="en", cancel_url=cancel).model_copy(update={"position": 2}))
    await publish(nc, notice("r1", "promoted", language="en"))
    assert await until(lambda: len(smtp.to("anna@example.org")) == 2)
    waitlisted, promoted = sorted(smtp.to("anna@example.org"), key=lambda m: "position" not in m["Subject"])
    assert waitlisted["Subject"] == "Waiting list (position 2): Gründerfrühstück"
    assert promoted["Subject"] == "You have a place: Gründerfrühstück"
    assert cancel in body_text(promoted) and "Rathaus Bottrop" in body_text(promoted)
    assert promoted.is_multipart() and promoted.get_content_type() == "multipart/alternative"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_smtp_down_a_crash_and_a_duplicate_still_give_each_mail_exactly_once(
    database, nats_server, nc, smtp, tmp_path, request
):
    database_url = None if database == "sqlite" else request.getfixturevalue("postgres_database")
    env = service_env(nats_server.url, smtp.port, tmp_path / "var", database_url)
    # The kill may catch a row claimed ('sending'): it is tried again when its lease ends, so keep the
    # lease short here (still well above the 2 s SMTP timeout; the default is 300 s).
    env["NOTIFICATIONS_SENDING_LEASE_S"] = "8"
    service = start_service(env, tmp_path)
    try:
        smtp.stop()
        events = [await publish(nc, notice(f"r{i}", email=f"p{i}@example.org")) for i in range(5)]
        # NATS hands the same event over a second time (a re-publish the dedup window did not catch).
        await publish(nc, notice("r0", email="p0@example.org"), event=events[0], msg_id="again")
        assert await until(lambda: len([d for d in deliveries(service) if d["attempts"] >= 2]) == 5, timeout=40)
        assert len(deliveries(service)) == 5  # the duplicate staged nothing
        service.kill()  # a crash while mails wait for the server

        smtp.start()
        service = start_service(env, tmp_path)
        assert await until(lambda: len(deliveries(service, status="sent")) == 5, timeout=40)
        await asyncio.sleep(1.0)
        assert sorted(m["X-Envelope-To"] for m in smtp.messages) == [f"p{i}@example.org" for i in range(5)]
        assert len({m["Message-ID"] for m in smtp.messages}) == 5
        sent = await stream_messages(nc.jetstream(), "NOTIFICATIONS")
        assert len(sent) == 5 and all(b"@example.org" not in m.data for m in sent)
    finally:
        service.kill()


async def test_a_refused_mail_is_dead_visible_and_replayable_and_a_deferred_one_is_retried(notifications, smtp, nc):
    smtp.handler.answers = {"gone@example.org": "550 no such user", "busy@example.org": "451 try again later"}
    await publish(nc, notice("r1", email="gone@example.org"))
    await publish(nc, notice("r2", email="busy@example.org"))
    assert await until(lambda: deliveries(notifications, status="dead"))
    (dead,) = deliveries(notifications, status="dead")
    assert dead["recipient"] == "gone@example.org" and dead["last_error"].startswith("550")
    assert await until(
        lambda: [d for d in deliveries(notifications, recipient="busy@example.org") if d["attempts"] >= 2]
    )
    smtp.handler.answers = {}
    assert await until(lambda: smtp.to("busy@example.org"))

    failed = await stream_messages(nc.jetstream(), "NOTIFICATIONS", "hallobot.notifications.delivery.failed.>")
    assert len(failed) == 1 and b"gone@example.org" not in failed[0].data
    assert httpx.post(f"{notifications.url}/deliveries/{dead['id']}/replay").status_code == 401
    replayed = httpx.post(f"{notifications.url}/deliveries/{dead['id']}/replay", headers=AUTH)
    assert replayed.status_code == 200
    assert await until(lambda: smtp.to("gone@example.org"))
    assert len(smtp.to("gone@example.org")) == 1 and len(smtp.to("busy@example.org")) == 1


async def test_the_office_hears_of_outages_and_recoveries_without_subscribing(notifications, smtp, nc):
    await publish(nc, status_change(status="degraded"))  # not an outage
    await publish(nc, status_change(previous="degraded", status="down"))  # told once wifi has decided (below)
    outage = await publish(
        nc, HotspotOutageAnnounced(outage_id="o1", hotspot_id="kirchplatz", site_name="Kirchplatz", since=utcnow())
    )
    await publish(nc, status_change(previous="down", status="up"))
    await publish(
        nc,
        HotspotRecoveryAnnounced(
            outage_id="o1", hotspot_id="kirchplatz", site_name="Kirchplatz", since=utcnow(), recovered_at=utcnow()
        ),
    )
    assert await until(lambda: len(smtp.to(OFFICE)) == 2)
    assert all(m["Subject"].startswith("[Amt] WLAN-Hotspot Kirchplatz ist ") for m in smtp.to(OFFICE))
    (logged,) = deliveries(notifications, event_id=outage.id)
    assert logged["recipient"] == OFFICE and logged["recipient_ref"].startswith("psn_")
    assert logged["status"] == "sent"
    assert httpx.get(f"{notifications.url}/deliveries").status_code == 401
