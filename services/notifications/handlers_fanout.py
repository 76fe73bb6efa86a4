"""Use cases of the consumers: who hears of an event (subscribers, the office), registrants' and
business owners' mails (the hotspot board and the profiles' visibility: handlers_public.py). Mails
are rendered here, once, and staged as delivery rows in the consumer's transaction; the senders
(jobs.py) need nothing else."""

from __future__ import annotations

import uuid
from typing import Any

from services.notifications import domain
from services.notifications.config import NotificationsSettings
from services.notifications.domain import Subscription
from services.notifications.handlers_public import for_the_public
from services.notifications.mailer import CANCEL_LINK, render
from services.notifications.repository import Repository
from services.notifications.sealed import seal, unseal
from services.notifications.sentences import Names, details, sentence
from shared.catalog import BusinessOwnerNotice, RegistrantNotice
from shared.envelope import CloudEvent, utcnow


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
    secret_link: str | None = None,
) -> dict[str, Any]:
    """The deliveries row of one mail, rendered (subject, text, HTML) for the log and the sender. A
    `secret_link` (a cancel link) is rendered as `CANCEL_LINK` and put in by the sender: the stored
    text never holds its token, and the row's copy is wiped once the mail is sent."""
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
        headers={**(domain.unsubscribe_headers(unsubscribe_url) if unsubscribe_url else {}), "Content-Language": lang},
        status="held" if held else "pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        secret_link=secret_link,
    )


def webhook_row(settings: NotificationsSettings, subscription: Subscription, event: CloudEvent) -> dict[str, Any]:
    """The deliveries row of one webhook call: the CloudEvent as it is (structured mode)."""
    url, now = subscription.url or "", utcnow()
    return dict(
        id=str(uuid.uuid4()),
        event_id=event.id,
        event_type=event.short_type,
        channel="webhook",
        template="cloudevent",
        recipient=url,
        recipient_ref=domain.pseudonym(settings.secret_key.get_secret_value(), url),
        subscription_id=subscription.id,
        subject=event.short_type,
        body=event.to_json().decode(),
        html=None,
        headers={},
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        secret_link=None,
    )


def subscriber_mail(
    settings: NotificationsSettings, subscription: Subscription, event: CloudEvent, summary: str
) -> dict[str, Any]:
    """A subscriber's mail about one event: held for the digest or sent at once, always with the
    one-click unsubscribe link."""
    key = settings.secret_key.get_secret_value()
    return mail_row(
        settings,
        event_id=event.id,
        event_type=event.short_type,
        template="notification",
        recipient=subscription.address or "",
        lang=subscription.language,
        context=_event_context(event, "subscriber", summary, subscription.language),
        subscription_id=subscription.id,
        unsubscribe_url=domain.unsubscribe_url(key, settings.site_url, subscription.id, subscription.language),
        held=subscription.held_for_digest,
    )


def _event_context(
    event: CloudEvent, audience: str, summary: str, lang: str, office_url: str | None = None
) -> dict[str, Any]:
    """`details`: lines below the sentence (the monthly report's figures per site), often none;
    `office_url`: the console page the office works on this from (office mails only)."""
    told = details(event.short_type, event.data, lang)
    return {"summary": summary, "details": told, "time": event.time, "audience": audience, "office_url": office_url}


class Told:
    """The event's sentence per language, told once each, with the names looked up once (and only
    when a mail is written at all)."""

    def __init__(self, repo: Repository, event: CloudEvent) -> None:
        self.repo, self.event = repo, event
        self.names: Names | None = None
        self.told: dict[str, str] = {}

    async def __call__(self, language: str) -> str:
        if self.names is None:
            data = self.event.data
            hotspots = [str(i) for i in [data.get("hotspot_id"), *(data.get("hotspot_ids") or [])] if i]
            events = [str(data["event_id"])] if data.get("event_id") else []
            self.names = await self.repo.names_for(hotspots, events)
        if language not in self.told:
            self.told[language] = sentence(self.event.short_type, self.event.data, language, self.names)
        return self.told[language]


async def fan_out(repo: Repository, settings: NotificationsSettings, event: CloudEvent) -> int:
    """A public event goes to every subscription that hears of it, and to the office if it should.
    Subscribers' mails about a business profile only while the office has it published (unreviewed
    text never reaches a citizen's inbox); webhooks (city systems an operator connected) get every
    event, as the stream has it. Returns how many deliveries are new."""
    rows = []
    told = Told(repo, event)
    public: bool | None = None  # looked up once, and only if a mail subscriber hears of the event
    for subscription in await repo.active():
        if not subscription.hears(event.short_type, event.data):
            continue
        if subscription.channel == "webhook":
            rows.append(webhook_row(settings, subscription, event))
            continue
        if public is None:
            public = await for_the_public(repo, event)
        if public:
            rows.append(subscriber_mail(settings, subscription, event, await told(subscription.language)))
    if domain.operator_wants(event.short_type, event.data):
        rows += [
            mail_row(
                settings,
                event_id=event.id,
                event_type=event.short_type,
                template="notification",
                recipient=address,
                lang=settings.operator_language,
                context=_event_context(
                    event,
                    "operator",
                    await told(settings.operator_language),
                    settings.operator_language,
                    domain.office_page_url(settings.site_url, event.short_type),
                ),
            )
            for address in settings.operators()
        ]
    return await repo.stage(rows)


async def notify_registrants(
    repo: Repository, settings: NotificationsSettings, notices: list[tuple[CloudEvent, RegistrantNotice]]
) -> int:
    """Registrant mails come from the private notices; the cancel link of the first notice is kept
    (sealed, until the event ends) so that promotion and reminder mails can carry it too.

    A fetched batch is handled with a fixed number of statements (one lookup of the stored links, one
    insert and one delete of links, one insert of mails), in order: a link stored by an earlier
    notice of the batch serves a later one as if they came one by one. Returns how many mails are new."""
    key = settings.secret_key.get_secret_value()
    stored = await repo.cancel_links(list({notice.registration_id for _, notice in notices}))
    known = {rid: link for rid, value in stored.items() if (link := unseal(key, value))}
    new_links: dict[str, dict[str, Any]] = {}
    gone: set[str] = set()
    mails = []
    for event, notice in notices:
        rid, cancel_url = notice.registration_id, notice.cancel_url
        if cancel_url:
            if rid not in known:  # the first link is kept (insert … on conflict do nothing)
                known[rid] = cancel_url
                # no mail carries the link after the event: it goes then (the daily job)
                new_links[rid] = dict(
                    registration_id=rid, cancel_url=seal(key, cancel_url), forget_after=notice.ends_at
                )
                gone.discard(rid)
        else:
            cancel_url = known.get(rid)
        if notice.kind in ("cancelled", "event_cancelled", "released"):
            known.pop(rid, None)
            new_links.pop(rid, None)
            gone.add(rid)
        links: dict[str, str | None] = {"cancel_url": CANCEL_LINK if cancel_url else None}
        if notice.kind == "reconfirm" and notice.reconfirm_url:
            # its one secret link is the reconfirmation page (with a button to free the place, too)
            cancel_url, links = notice.reconfirm_url, {"cancel_url": None, "reconfirm_url": CANCEL_LINK}
        mails.append(
            mail_row(
                settings,
                event_id=event.id,
                event_type=event.short_type,
                template="registration",
                recipient=notice.email,
                lang=notice.language,
                # the registrant's own name is left out (docs/security/mail.md): a mail to any address
                # then carries only the office's text and our links
                context=notice.model_dump(mode="json", exclude={"name"}) | links,
                secret_link=cancel_url,
            )
        )
    await repo.forget_links(gone)
    await repo.keep_links(list(new_links.values()))
    return await repo.stage(mails)


async def notify_owner(
    repo: Repository, settings: NotificationsSettings, event: CloudEvent, notice: BusinessOwnerNotice
) -> bool:
    """A business owner's mail (signed up, a new link, profile published, or the stale nudge) from the
    directory's private notice; the directory emits one notice per occasion, the unique (event,
    recipient, template) key makes a redelivered notice stage nothing. An edit link is a secret link:
    the stored mail holds `CANCEL_LINK` in its place, the sender puts it in and then forgets it."""
    context = notice.model_dump(mode="json") | {
        "owner_contact": settings.owner_help(),
        "link_request_url": settings.link("/verzeichnis/eintrag/link"),
        "edit_url": CANCEL_LINK if notice.edit_url else None,
    }
    mail = mail_row(
        settings,
        event_id=event.id,
        event_type=event.short_type,
        template="owner",
        recipient=notice.email,
        lang=notice.language,
        context=context,
        secret_link=notice.edit_url,
    )
    return await repo.stage([mail]) == 1
