"""Use cases of the subscription life cycle and the operators' allowlist; each runs inside the
caller's unit of work (`repository.Repository`). The rules themselves are in domain.py.

Webhook targets are resolved by the caller before its transaction (`webhooks.lookup`): DNS can take
seconds, and on SQLite a write transaction holds the process-wide writer lock."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from services.notifications import domain, sentences, topics
from services.notifications.config import NotificationsSettings
from services.notifications.domain import Channel, Subscription
from services.notifications.handlers_fanout import mail_row
from services.notifications.repository import Repository
from services.notifications.webhooks import Target, new_secret
from shared.envelope import utcnow
from shared.errors import Conflict, Invalid, NotFound
from shared.ratelimit import RateLimiter


async def allowlist(repo: Repository, settings: NotificationsSettings) -> list[str]:
    """Private hosts and ranges webhooks may reach: the configured ones and the operators'."""
    return [*settings.allowlist(), *await repo.allowlist()]


async def confirmation_mail_due(limiter: RateLimiter, settings: NotificationsSettings, address: str) -> bool:
    """One confirmation mail per address and NOTIFICATIONS_CONFIRMATION_WINDOW_S, across instances:
    ten requests for one address in a minute send one mail. The caller answers alike either way, so
    the answer does not tell whether a mail went out (or whether the address is known). Asked before
    the transaction: the count lives on NATS, and SQLite's write turn is not held for it."""
    return not await limiter.acquire(settings.confirmation_rate, address.strip().casefold())


async def subscribe(
    repo: Repository,
    settings: NotificationsSettings,
    *,
    channel: Channel,
    topics: list[str],
    filters: dict[str, str],
    language: str,
    digest: str,
    address: str | None = None,
    target: Target | None = None,
    confirmation_mail: bool = True,
) -> tuple[Subscription, str | None]:
    """Email: pending, and a confirmation mail goes out (double opt-in) unless `confirmation_mail` is
    False (`confirmation_mail_due`: one went to this address within the window). Webhook: active at
    once if its (already resolved) target is allowed; returns its signing secret, shown once."""
    secret = None
    if channel == "webhook":
        if target is None:
            raise Invalid("url is required for channel webhook", field="url")
        refusal = target.refusal(await allowlist(repo, settings))
        if refusal:
            raise Invalid(refusal, field="url")
        secret = new_secret()
    subscription = Subscription.request(
        str(uuid.uuid4()),
        channel=channel,
        topics=topics,
        filters=filters,
        language=language,
        digest=digest,
        now=utcnow(),
        address=address,
        url=target.url if target else None,
        secret=secret,
    )
    await repo.add(subscription)
    if subscription.needs_confirmation and address and confirmation_mail:
        await repo.stage([await confirmation_mail_row(repo, settings, subscription)])
    return subscription, secret


async def confirmation_mail_row(
    repo: Repository, settings: NotificationsSettings, subscription: Subscription
) -> dict[str, Any]:
    """The double opt-in mail: what was chosen, in words, and a link to the page that confirms it."""
    key = settings.secret_key.get_secret_value()
    now = utcnow()
    expires = int(now.timestamp() + settings.confirmation_link_days * 86400)
    filters = subscription.filters
    names = await repo.names_for(
        [filters["hotspot_id"]] if "hotspot_id" in filters else [],
        [],
        [filters["series"]] if "series" in filters else [],
    )
    gettext = sentences.gettext(subscription.language)
    chosen = topics.label(subscription.topics, filters, names.hotspots, names.series, gettext)
    return mail_row(
        settings,
        event_id=f"subscription:{subscription.id}:{uuid.uuid4().hex[:12]}",  # each link its own mail
        event_type="subscription.requested",
        template="confirm",
        recipient=subscription.address or "",
        lang=subscription.language,
        subscription_id=subscription.id,
        context={
            "confirm_url": domain.confirm_url(key, settings.site_url, subscription.id, subscription.language, expires),
            "topics": [chosen],
            "valid_days": round(settings.confirmation_link_days),
        },
    )


async def chosen_in_words(repo: Repository, chosen: list[str], filters: dict[str, str], language: str) -> str:
    """What a subscription hears of, in words ("Störungen am WLAN-Hotspot Kirchplatz")."""
    names = await repo.names_for(
        [filters["hotspot_id"]] if "hotspot_id" in filters else [],
        [],
        [filters["series"]] if "series" in filters else [],
    )
    return topics.label(chosen, filters, names.hotspots, names.series, sentences.gettext(language))


async def send_confirmation_again(
    repo: Repository, settings: NotificationsSettings, subscription_id: str, token: str, mail_due: bool
) -> None:
    """ "Link abgelaufen – neuen Link anfordern": an expired (but genuine) confirmation link asks for a
    new one, sent to the subscription's own address only, at most one per address and window
    (`mail_due`, as for a new subscription). An active or ended subscription gets nothing."""
    if (
        domain.link_state(settings.secret_key.get_secret_value(), "confirm", subscription_id, token, utcnow())
        == "invalid"
    ):
        raise NotFound("this confirmation link is not valid")
    subscription = await _subscription(repo, subscription_id)
    if subscription.needs_confirmation and subscription.address and mail_due:
        await repo.stage([await confirmation_mail_row(repo, settings, subscription)])


async def _subscription(repo: Repository, subscription_id: str) -> Subscription:
    subscription = await repo.subscription(subscription_id)
    if subscription is None:
        raise NotFound("no such subscription")
    return subscription


def _check_link(settings: NotificationsSettings, purpose: str, subscription_id: str, token: str) -> None:
    state = domain.link_state(settings.secret_key.get_secret_value(), purpose, subscription_id, token, utcnow())
    if state == "expired":
        raise Conflict("this confirmation link has expired; ask for a new one on its page")
    if state != "valid":
        raise NotFound(f"this {'confirmation' if purpose == 'confirm' else purpose} link is not valid")


async def confirm(repo: Repository, settings: NotificationsSettings, subscription_id: str, token: str) -> Subscription:
    """The confirmation link's POST: pending → active, once; a repeated click changes nothing."""
    _check_link(settings, "confirm", subscription_id, token)
    subscription = await _subscription(repo, subscription_id)
    subscription.confirm(utcnow())
    await repo.save(subscription)
    return subscription


async def unsubscribe(
    repo: Repository, settings: NotificationsSettings, subscription_id: str, token: str
) -> Subscription:
    """One-click unsubscribe (RFC 8058) from the link in every mail; idempotent."""
    _check_link(settings, "unsubscribe", subscription_id, token)
    return await end_subscription(repo, subscription_id)


async def end_subscription(repo: Repository, subscription_id: str) -> Subscription:
    """Ends it for good and stops everything not yet sent to it, held digest items included."""
    subscription = await _subscription(repo, subscription_id)
    subscription.end(utcnow())
    await repo.save(subscription)
    await repo.drop_queued(subscription_id, "unsubscribed")
    return subscription


async def enable_webhook(repo: Repository, subscription_id: str) -> Subscription:
    subscription = await _subscription(repo, subscription_id)
    subscription.enable()
    await repo.save(subscription)
    return subscription


async def allow(repo: Repository, entry: str) -> str:
    """An operator lets webhooks reach a private host or CIDR range; returns the stored form."""
    entry = entry.strip()
    if "/" in entry:
        try:
            entry = str(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise Invalid(f"not a CIDR range: {exc}", field="entry") from exc
    await repo.allow(entry, utcnow())
    return entry


async def disallow(repo: Repository, entry: str) -> None:
    if not await repo.disallow(entry):
        raise NotFound("no such allowlist entry")
