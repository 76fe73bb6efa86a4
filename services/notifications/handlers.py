"""Use cases of the subscription life cycle and the operators' allowlist; each runs inside the
caller's unit of work (`repository.Repository`). The rules themselves are in domain.py.

Webhook targets are resolved by the caller before its transaction (`webhooks.lookup`): DNS can take
seconds, and on SQLite a write transaction holds the process-wide writer lock."""

from __future__ import annotations

import ipaddress
import uuid

from services.notifications import domain
from services.notifications.config import NotificationsSettings
from services.notifications.domain import Channel, Subscription
from services.notifications.handlers_fanout import mail_row
from services.notifications.repository import Repository
from services.notifications.webhooks import Target, new_secret
from shared.envelope import utcnow
from shared.errors import Invalid, NotFound
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
        key = settings.secret_key.get_secret_value()
        confirm_url = domain.links(key, settings.public_url, subscription.id)["confirm_url"]
        mail = mail_row(
            settings,
            event_id=f"subscription:{subscription.id}",
            event_type="subscription.requested",
            template="confirm",
            recipient=address,
            lang=language,
            subscription_id=subscription.id,
            context={"confirm_url": confirm_url, "topics": topics},
        )
        await repo.stage([mail])
    return subscription, secret


async def _subscription(repo: Repository, subscription_id: str) -> Subscription:
    subscription = await repo.subscription(subscription_id)
    if subscription is None:
        raise NotFound("no such subscription")
    return subscription


def _check_link(settings: NotificationsSettings, purpose: str, subscription_id: str, token: str) -> None:
    if not domain.token_valid(settings.secret_key.get_secret_value(), purpose, subscription_id, token):
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
