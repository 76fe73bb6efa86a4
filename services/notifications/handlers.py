"""Use cases of the notifications service; each runs inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import domain, models
from services.notifications.config import NotificationsSettings
from services.notifications.mailer import render
from services.notifications.webhooks import check_target, new_secret
from shared.catalog import BusinessOwnerNotice, DeliveryFailed, RegistrantNotice
from shared.envelope import CloudEvent, utcnow
from shared.errors import Conflict, Invalid, NotFound
from shared.outbox import add_event

S = models.subscriptions
D = models.deliveries


def _insert(session: AsyncSession):
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


# --- subscriptions -----------------------------------------------------------------------------


def links(settings: NotificationsSettings, subscription_id: str) -> dict[str, str]:
    key, base = settings.secret_key.get_secret_value(), settings.public_url.rstrip("/")
    return {
        purpose + "_url": f"{base}/subscriptions/{subscription_id}/{purpose}?token="
        + domain.link_token(key, purpose, subscription_id)
        for purpose in ("confirm", "unsubscribe")
    }


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` to the URL."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


async def allowlist(session: AsyncSession, settings: NotificationsSettings) -> list[str]:
    stored = (await session.execute(select(models.webhook_allowlist.c.entry))).scalars().all()
    return [*settings.allowlist(), *stored]


async def subscribe(
    session: AsyncSession,
    settings: NotificationsSettings,
    *,
    channel: str,
    address: str | None,
    url: str | None,
    topics: list[str],
    filters: dict[str, str],
    language: str,
    digest: str,
) -> tuple[dict[str, Any], str | None]:
    """Email: pending until confirmed (double opt-in). Webhook: active at once, returns its secret."""
    for topic in topics:
        if not domain.topic_is_known(topic):
            raise Invalid(f"unknown topic {topic!r}; see GET /topics", field="topics")
    for key in filters:
        if key not in domain.FILTER_KEYS:
            raise Invalid(f"unknown filter {key!r}; use one of {', '.join(domain.FILTER_KEYS)}", field="filters")
    now, sid, secret = utcnow(), str(uuid.uuid4()), None
    if channel == "webhook":
        refusal = await check_target(url, await allowlist(session, settings))
        if refusal:
            raise Invalid(refusal, field="url")
        secret = new_secret()
    row = dict(
        id=sid,
        channel=channel,
        address=address,
        url=url,
        secret=secret,
        topics=topics,
        filters=filters,
        language=language,
        digest=digest,
        status="pending" if channel == "email" else "active",
        failures=0,
        created_at=now,
        confirmed_at=None if channel == "email" else now,
        ended_at=None,
    )
    await session.execute(S.insert().values(**row))
    if channel == "email":
        urls = links(settings, sid)
        await enqueue_mail(
            session,
            settings,
            event_id=f"subscription:{sid}",
            event_type="subscription.requested",
            template="confirm",
            recipient=address,
            lang=language,
            subscription_id=sid,
            context={"confirm_url": urls["confirm_url"], "topics": topics},
        )
    return row, secret


async def _subscription(session: AsyncSession, subscription_id: str) -> dict[str, Any]:
    row = (await session.execute(select(S).where(S.c.id == subscription_id))).mappings().first()
    if row is None:
        raise NotFound("no such subscription")
    return dict(row)


async def confirm(session: AsyncSession, settings: NotificationsSettings, subscription_id: str, token: str) -> dict:
    if not domain.token_valid(settings.secret_key.get_secret_value(), "confirm", subscription_id, token):
        raise NotFound("this confirmation link is not valid")
    row = await _subscription(session, subscription_id)
    if row["status"] == "pending":
        await session.execute(update(S).where(S.c.id == subscription_id).values(status="active", confirmed_at=utcnow()))
        row["status"] = "active"
    elif row["status"] != "active":
        raise Conflict(f"this subscription is {row['status']}")
    return row


async def unsubscribe(session: AsyncSession, settings: NotificationsSettings, subscription_id: str, token: str) -> dict:
    if not domain.token_valid(settings.secret_key.get_secret_value(), "unsubscribe", subscription_id, token):
        raise NotFound("this unsubscribe link is not valid")
    return await end_subscription(session, subscription_id)


async def end_subscription(session: AsyncSession, subscription_id: str) -> dict:
    """Stops everything not yet sent to it, held digest items included."""
    row = await _subscription(session, subscription_id)
    now = utcnow()
    await session.execute(update(S).where(S.c.id == subscription_id).values(status="unsubscribed", ended_at=now))
    await session.execute(
        update(D)
        .where(D.c.subscription_id == subscription_id, D.c.status.in_(("pending", "held")), D.c.template != "confirm")
        .values(status="dead", last_error="unsubscribed")
    )
    row["status"] = "unsubscribed"
    return row


# --- fan-out ---------------------------------------------------------------------------------


def mail_row(
    settings: NotificationsSettings,
    *,
    event_id: str,
    event_type: str,
    template: str,
    recipient: str,
    lang: str,
    context: dict[str, Any],
    subscription_id: str | None = None,
    unsubscribe_url: str | None = None,
    held: bool = False,
) -> dict[str, Any]:
    """The deliveries row of one mail, rendered (subject, text, HTML) for the log and the sender."""
    rendered = render(template, lang, {**context, "unsubscribe_url": unsubscribe_url})
    now = utcnow()
    return dict(
        id=str(uuid.uuid4()),
        event_id=event_id,
        event_type=event_type,
        channel="email",
        template=template,
        recipient=recipient,
        recipient_ref=domain.pseudonym(settings.secret_key.get_secret_value(), recipient),
        subscription_id=subscription_id,
        subject=rendered.subject,
        body=rendered.text,
        html=rendered.html,
        headers={**(unsubscribe_headers(unsubscribe_url) if unsubscribe_url else {}), "Content-Language": lang},
        status="held" if held else "pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


async def stage_mails(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert mail rows (executemany of one cached statement); a (event, recipient, template) staged
    before is skipped. Returns how many were new; a driver that cannot count several rows (-1) is
    taken as "some" (the count only decides whether to wake the sender early)."""
    if not rows:
        return 0
    statement = _insert(session)(D).on_conflict_do_nothing(index_elements=["event_id", "recipient_ref", "template"])
    result = (
        await session.execute(statement, rows) if len(rows) > 1 else await session.execute(statement.values(rows[0]))
    )
    return result.rowcount if result.rowcount >= 0 else len(rows)


async def enqueue_mail(session: AsyncSession, settings: NotificationsSettings, **mail: Any) -> bool:
    """Stage one mail; False when this (event, recipient, template) was staged before."""
    return await stage_mails(session, [mail_row(settings, **mail)]) == 1


async def enqueue_webhook(session: AsyncSession, settings: NotificationsSettings, sub: dict, event: CloudEvent) -> bool:
    now = utcnow()
    statement = _insert(session)(D).values(
        id=str(uuid.uuid4()),
        event_id=event.id,
        event_type=event.short_type,
        channel="webhook",
        template="cloudevent",
        recipient=sub["url"],
        recipient_ref=domain.pseudonym(settings.secret_key.get_secret_value(), sub["url"]),
        subscription_id=sub["id"],
        subject=event.short_type,
        body=event.to_json().decode(),
        html=None,
        headers={},
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    result = await session.execute(
        statement.on_conflict_do_nothing(index_elements=["event_id", "recipient_ref", "template"])
    )
    return result.rowcount == 1


def _event_context(event: CloudEvent, audience: str) -> dict[str, Any]:
    return {"event_type": event.short_type, "data": event.data, "time": event.time, "audience": audience}


async def fan_out(session: AsyncSession, settings: NotificationsSettings, event: CloudEvent) -> int:
    """A public event goes to every active subscription that wants it, and to the office if it should."""
    staged = 0
    active = (await session.execute(select(S).where(S.c.status == "active"))).mappings().all()
    for sub in active:
        if not domain.wants(sub["topics"], sub["filters"], event.short_type, event.data):
            continue
        if sub["channel"] == "webhook":
            staged += await enqueue_webhook(session, settings, dict(sub), event)
        else:
            unsubscribe_url = links(settings, sub["id"])["unsubscribe_url"]
            staged += await enqueue_mail(
                session,
                settings,
                event_id=event.id,
                event_type=event.short_type,
                template="notification",
                recipient=sub["address"],
                lang=sub["language"],
                context=_event_context(event, "subscriber"),
                subscription_id=sub["id"],
                unsubscribe_url=unsubscribe_url,
                held=sub["digest"] == "daily",
            )
    if domain.operator_wants(event.short_type, event.data):
        for address in settings.operators():
            staged += await enqueue_mail(
                session,
                settings,
                event_id=event.id,
                event_type=event.short_type,
                template="notification",
                recipient=address,
                lang=settings.operator_language,
                context=_event_context(event, "operator"),
            )
    return staged


async def notify_registrant(
    session: AsyncSession, settings: NotificationsSettings, event: CloudEvent, notice: RegistrantNotice
) -> bool:
    return await notify_registrants(session, settings, [(event, notice)]) == 1


async def notify_registrants(
    session: AsyncSession, settings: NotificationsSettings, notices: list[tuple[CloudEvent, RegistrantNotice]]
) -> int:
    """Registrant mails come from the private notices; the cancel link of the first notice is kept
    (until 30 days after the event) so that promotion and reminder mails can carry it too.

    A fetched batch is handled with a fixed number of statements (one lookup of the stored links, one
    insert and one delete of links, one insert of mails), in order: a link stored by an earlier
    notice of the batch serves a later one as if they came one by one. Returns how many mails are new."""
    L = models.registrant_links
    ids = list({notice.registration_id for _, notice in notices})
    known: dict[str, str] = dict(
        (await session.execute(select(L.c.registration_id, L.c.cancel_url).where(L.c.registration_id.in_(ids)))).all()
    )
    new_links: dict[str, dict[str, Any]] = {}
    gone: set[str] = set()
    mails = []
    for event, notice in notices:
        rid, cancel_url = notice.registration_id, notice.cancel_url
        if cancel_url:
            if rid not in known:  # the first link is kept (insert … on conflict do nothing)
                known[rid] = cancel_url
                new_links[rid] = dict(
                    registration_id=rid, cancel_url=cancel_url, forget_after=notice.ends_at + timedelta(days=30)
                )
                gone.discard(rid)
        else:
            cancel_url = known.get(rid)
        if notice.kind in ("cancelled", "event_cancelled"):
            known.pop(rid, None)
            new_links.pop(rid, None)
            gone.add(rid)
        context = notice.model_dump(mode="json") | {"cancel_url": cancel_url}
        mails.append(
            mail_row(
                settings,
                event_id=event.id,
                event_type=event.short_type,
                template="registration",
                recipient=notice.email,
                lang=notice.language,
                context=context,
            )
        )
    if gone:
        await session.execute(delete(L).where(L.c.registration_id.in_(gone)))
    if new_links:
        await session.execute(
            _insert(session)(L).on_conflict_do_nothing(index_elements=["registration_id"]), list(new_links.values())
        )
    return await stage_mails(session, mails)


async def notify_owner(
    session: AsyncSession, settings: NotificationsSettings, event: CloudEvent, notice: BusinessOwnerNotice
) -> bool:
    """A business owner's mail (profile published, or the stale nudge) from the directory's private
    notice; the directory emits one notice per publication and per stale period, the unique
    (event, recipient, template) key makes a redelivered notice stage nothing."""
    context = notice.model_dump(mode="json") | {"owner_contact": settings.owner_help()}
    return await enqueue_mail(
        session,
        settings,
        event_id=event.id,
        event_type=event.short_type,
        template="owner",
        recipient=notice.email,
        lang=notice.language,
        context=context,
    )


async def track_hotspot(session: AsyncSession, event: CloudEvent) -> None:
    """Keep each hotspot's current status for the live page."""
    H, data = models.hotspots, event.data
    if event.short_type == "wifi.hotspot.registered":
        await session.execute(
            _insert(session)(H)
            .values(hotspot_id=data["hotspot_id"], site_name=data["site_name"])
            .on_conflict_do_update(index_elements=["hotspot_id"], set_={"site_name": data["site_name"]})
        )
    elif event.short_type == "wifi.hotspot.status_changed":
        since = datetime.fromisoformat(data["since"].replace("Z", "+00:00"))
        await session.execute(
            _insert(session)(H)
            .values(hotspot_id=data["hotspot_id"], site_name=data["hotspot_id"], status=data["status"], since=since)
            .on_conflict_do_update(index_elements=["hotspot_id"], set_={"status": data["status"], "since": since})
        )


# --- operators ---------------------------------------------------------------------------------


async def replay(session: AsyncSession, delivery_id: str) -> dict:
    row = (await session.execute(select(D).where(D.c.id == delivery_id))).mappings().first()
    if row is None:
        raise NotFound("no such delivery")
    if row["status"] != "dead":
        raise Conflict(f"only dead deliveries can be replayed; this one is {row['status']}")
    if row["last_error"] == "unsubscribed":
        raise Conflict("the recipient unsubscribed")
    await session.execute(
        update(D)
        .where(D.c.id == delivery_id)
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), last_error=None)
    )
    return dict(row) | {"status": "pending", "attempts": 0}


async def enable_webhook(session: AsyncSession, subscription_id: str) -> dict:
    row = await _subscription(session, subscription_id)
    if row["channel"] != "webhook" or row["status"] not in ("disabled", "active"):
        raise Conflict("only webhook subscriptions that were disabled can be enabled")
    await session.execute(update(S).where(S.c.id == subscription_id).values(status="active", failures=0))
    return row | {"status": "active", "failures": 0}


async def disable_webhook(session: AsyncSession, settings: NotificationsSettings, subscription_id: str) -> None:
    """After persistent failure: the endpoint stops receiving; what was queued for it is dead (replayable)."""
    await session.execute(update(S).where(S.c.id == subscription_id).values(status="disabled"))
    dead = (
        (await session.execute(select(D).where(and_(D.c.subscription_id == subscription_id, D.c.status == "pending"))))
        .mappings()
        .all()
    )
    await session.execute(
        update(D)
        .where(D.c.subscription_id == subscription_id, D.c.status == "pending")
        .values(status="dead", last_error="endpoint disabled after persistent failure")
    )
    for row in dead:
        await add_event(
            session,
            models.outbox,
            DeliveryFailed(
                delivery_id=row["id"],
                channel="webhook",
                recipient=row["recipient_ref"],
                event_id=row["event_id"],
                reason="endpoint disabled after persistent failure",
            ),
        )
