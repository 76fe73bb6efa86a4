"""docs/events.md: the catalog of event types, generated from shared/catalog/ by `hallobot docs`.

The page takes from the code what the code knows (type, subject, stream, source, the data fields with
their JSON Schema types, who consumes it); `WHEN` below says when each type is published. A catalog
type without a sentence in `WHEN` stops `hallobot docs`, so a new type cannot go undocumented.
"""

from __future__ import annotations

import json
from typing import Any

from shared.catalog import CATALOG, EventData
from shared.consumer import Subscription
from shared.envelope import CONTENT_TYPE
from shared.schema_routes import schema_path
from shared.streams import stream_for_subject

WHEN: dict[str, str] = {
    "directory.business.registered": "A profile was created: by the owner's self-registration "
    "(`self_registered: true`, not yet public) or by the office. `name` is null while the profile is "
    "not published: text nobody reviewed never goes on a public subject.",
    "directory.business.updated": "A profile changed (by its owner with the edit token, or by the office, "
    "or the office approved an owner's waiting change); `changed` lists the changed fields; `name` is "
    "null while the profile is not published.",
    "directory.business.published": "The office published a profile (it becomes visible in the directory).",
    "directory.business.unpublished": "The office took a published profile offline.",
    "directory.business.archived": "The office archived a profile (final: an archived profile does not come "
    "back); `name` is null unless the office had published it (and so had seen it).",
    "private.directory.business.owner_notice": "Beside `published` when the profile has an owner address "
    "(`kind: published`), and once per stale period when a published profile was not touched for "
    "`DIRECTORY_STALE_AFTER_MONTHS` (`kind: stale`, from the directory's hourly job); when an owner signs "
    "up on the website (`kind: registered`) or asks for their edit link again (`kind: link`); when the "
    "office sends a new profile back to its owner (`kind: returned`) or rejects an owner's change "
    "(`kind: change_rejected`), each with the office's `note`. To each member of a network with an owner address: "
    "when an event of the network's meeting series is published (`kind: network_invitation`, from the "
    "directory's consumer of `events.event.published`) and when the office writes to the members "
    "(`kind: network_announcement`, with `headline` and `message`).",
    "directory.network.member_joined": "The office added a business to one of its networks (the Wirtschaftsallianz, "
    "the Fachkräftesicherung); `name` is null unless the profile is published.",
    "directory.network.member_left": "The office removed a business from a network; `name` is null unless the "
    "profile is published.",
    "directory.offer.published": "A published profile's delivery and pickup offer became public: the office "
    "published a profile with an offer, or an offer was added to a published profile. The whole offer is in "
    "`offer` (delivery area as postal codes, time windows, minimum order in euro cents, pickup point, lead time), "
    "so a logistics system never has to ask back over HTTP.",
    "directory.offer.updated": "The offer of a published profile changed, or the name or category it travels "
    "with did; `offer` is the whole offer as it now stands. An owner's new pickup point text waits for the "
    "office's review first (like other free text).",
    "directory.offer.withdrawn": "An offer is no longer public: removed from a published profile "
    "(`reason: offer_removed`), or its profile was unpublished or archived (`unpublished`, `archived`). "
    "Nothing is told about profiles the public does not see.",
    "fairtrade.criterion.met": "A recount (after a profile, action or press change) found that one of the "
    "five Fairtrade-Town criteria is now met.",
    "fairtrade.criterion.lost": "A recount found that a criterion that was met is no longer met.",
    "fairtrade.milestone.reached": "All five criteria became met together (`all_criteria_met`), or the "
    "office recorded the title as awarded or renewed.",
    "fairtrade.recertification.due": "The directory's job, 90, 30 and 7 days before the two-year title expires "
    "(once per threshold).",
    "events.event.published": "The office published an event (it appears in the calendar and takes registrations).",
    "events.event.updated": "A published event changed; `changed` lists the changed fields.",
    "events.event.cancelled": "The office cancelled an event; each of its registrations is cancelled with "
    "`reason: event_cancelled`.",
    "events.registration.confirmed": "A registration got a place (or a consultation slot).",
    "events.registration.waitlisted": "A registration found the event full and joined the waiting list at `position`.",
    "events.registration.promoted": "A place freed up and the first on the waiting list got it.",
    "events.registration.cancelled": "A registration was cancelled: by the registrant with the cancel token, "
    "by the office, or because its event was cancelled (`reason`).",
    "events.event.reminder_due": "The events service's job, the day before a published event; reminders go to its "
    "`confirmed` registrants.",
    "private.events.registration.notice": "Beside every registration event and reminder: what the notifications "
    "service needs to write to that one registrant (`kind`).",
    "events.registration.attended": "The office checked the registrant in at the door (on the event's day).",
    "events.registration.attendance_undone": "The office took a check-in back.",
    "events.event.attendance_closed": "The events service's job, `EVENTS_ATTENDANCE_CLOSES_AFTER_H` after a held "
    "event's end, once: its confirmed places, how many came and the no-shows, with the series (attendance and "
    "no-show rate per series come from this type alone).",
    "events.registration.reconfirmation_requested": "The events service's job, `reconfirm_days_before` days before "
    "an event that asks for it: a confirmed registrant is asked to confirm by `reply_by`.",
    "events.registration.reconfirmed": "The registrant confirmed that they come.",
    "events.registration.released": "The events service's job at `reply_by`: an asked registrant did not confirm, "
    "the place is released (the registration is cancelled) and goes to the waiting list (`.promoted`).",
    "wifi.hotspot.registered": "The office added a hotspot (its host token is shown once, in the HTTP answer only).",
    "wifi.hotspot.status_changed": "A hotspot's status changed: reports confirmed a change between up and degraded, "
    "silence past `WIFI_HEARTBEAT_TIMEOUT_S` made it down, a report brought it back, or a maintenance window "
    "began or ended.",
    "wifi.hotspot.renamed": "An operator gave a site a new name (`PATCH /hotspots/{id}` or the console's site "
    "page); every later event, mail and page uses it.",
    "wifi.hotspot.incident_opened": "The wifi job, `WIFI_INCIDENT_WINDOW_S` after the first of them failed: at "
    "least `WIFI_INCIDENT_MIN_SITES` sites went down within that window and are still down (a shared cause such "
    "as the uplink). One alarm naming them all; their own outages are not announced.",
    "wifi.hotspot.incident_resolved": "The wifi job found none of the incident's sites down any more (each "
    "reported again or is in maintenance).",
    "wifi.hotspot.outage_announced": "The wifi job, `WIFI_INCIDENT_WINDOW_S` after a site went down: it is still "
    "down and too few sites failed with it for an incident. What the office is told of one site.",
    "wifi.hotspot.recovery_announced": "The wifi job found a site whose outage was announced up again (or in "
    "maintenance).",
    "wifi.hotspot.monthly_report": "The wifi job, once after each calendar month (Europe/Berlin) ended: the "
    "availability of every hotspot that existed in it, with its downtime, outages and maintenance (the Wifi4EU "
    "duty's monthly figures; the office gets them by mail).",
    "private.privacy.request.erasure": "An operator with the area `privacy` confirmed the person's identity "
    "and asked for the erasure of everything about one mail address (`/verwaltung/datenschutz`); directory, "
    "events and notifications each erase and answer (docs/privacy.md).",
    "private.privacy.request.access": "As the erasure request, for access (Art. 15 DSGVO): each service answers "
    "with the data it holds about the address.",
    "private.privacy.answer.sent": "A service handled a data protection request, once per request: counts of "
    "what it found and erased, what it keeps and why, and for access the data; notifications gathers the "
    "answers into the office's report.",
    "notifications.delivery.sent": "A mail was accepted by the SMTP server, or a webhook answered 2xx.",
    "notifications.delivery.failed": "A delivery was given up (its attempts were spent, the address was refused "
    "for good, or its webhook endpoint was disabled).",
    "notifications.account.created": "An operator account of the console was made (by an admin, or with "
    "`hallobot operator create`).",
    "notifications.account.role_changed": "An admin gave an operator account another role; it applies at once.",
    "notifications.account.deleted": "An admin deleted an operator account; its sessions and API tokens ended.",
    "notifications.account.token_created": "An operator made an API token for scripts (the token itself is "
    "never in an event).",
    "notifications.account.token_revoked": "An operator revoked one of their API tokens.",
}


def _matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, `>` the rest (at least one token)."""
    wanted, tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > index
        if index >= len(tokens) or token not in ("*", tokens[index]):
            return False
    return len(wanted) == len(tokens)


def _type_of(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}` (below)"
    if "anyOf" in schema:
        return " or ".join(_type_of(option, defs) for option in schema["anyOf"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(schema.get('items', {}), defs)}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {_type_of(schema['additionalProperties'], defs)}"
    text = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean", "null": "null"}
    shown = text.get(kind, str(kind))
    if schema.get("format") in ("date-time", "date"):
        shown = {"date-time": "date-time (RFC 3339, UTC)", "date": "date (YYYY-MM-DD)"}[schema["format"]]
    limits = [f"≤ {schema['maxLength']} characters"] if "maxLength" in schema else []
    limits += [f"pattern `{schema['pattern']}`"] if "pattern" in schema else []
    return shown + (f" ({', '.join(limits)})" if limits else "")


def _fields(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    lines = ["| field | type | required | description |", "| --- | --- | --- | --- |"]
    required = set(schema.get("required", ()))
    for name, field in schema.get("properties", {}).items():
        needed = "yes" if name in required else f"no (default `{json.dumps(field.get('default'), ensure_ascii=False)}`)"
        description = " ".join(field.get("description", "").split()) or "—"
        lines.append(f"| `{name}` | {_type_of(field, defs)} | {needed} | {description} |")
    return lines


def _section(model: type[EventData], consumers: list[str]) -> list[str]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    stream = stream_for_subject(model.subject_pattern())
    private = model.TYPE.startswith("private.")
    doc = " ".join((model.__doc__ or "").split()) if "__doc__" in vars(model) else ""
    lines = [
        f"### `{model.TYPE}`",
        "",
        WHEN[model.TYPE] + (f" {doc}" if doc else ""),
        "",
        f"- type: `{model.full_type()}`, version {model.VERSION}",
        f"- subject: `hallobot.{model.TYPE}.<{model.SUBJECT_FIELD}>`; CloudEvents `subject` = `{model.SUBJECT_FIELD}`",
        f"- stream: {stream} ({'private: personal data, internal services only' if private else 'public'})",
        f"- source: `{model.SOURCE}`",
        f"- data schema: `{model.dataschema()}` (served by every service at `{schema_path(model)}`)",
        f"- consumed by: {', '.join(consumers) or 'no HalloBot service (for city systems, webhooks and the feed)'}",
        "",
        *_fields(schema, defs),
    ]
    for name, definition in defs.items():
        lines += ["", f"`{name}`:", "", *_fields(definition, defs)]
    return [*lines, ""]


def render(subscriptions: dict[str, list[Subscription]]) -> str:
    """The page; `subscriptions` are each service's, by service name (to say who consumes what)."""
    missing = sorted(set(CATALOG) - set(WHEN))
    if missing:
        raise ValueError(f"hallobot/event_catalog.py: say in WHEN when these are published: {', '.join(missing)}")
    consumers = {
        name: [
            f"{service} (`{sub.name}`)"
            for service, subs in subscriptions.items()
            for sub in subs
            if _matches(sub.subject, f"hallobot.{name}.x")
        ]
        for name in CATALOG
    }
    lines = [
        "# Event catalog",
        "",
        "<!-- Generated from shared/catalog/ by `hallobot docs`; edit the code, not this page. -->",
        "",
        "Every event is a CloudEvents 1.0 event in structured JSON mode, published on NATS JetStream with the",
        f"headers `Nats-Msg-Id: <id>` and `Content-Type: {CONTENT_TYPE}` (see",
        "[architecture.md](architecture.md#the-event-envelope)). The CloudEvents `type` is",
        "`de.bottrop.hallobot.` + the name below; the NATS subject is `hallobot.<name>.<entity id>`.",
        "Public types carry no personal data; `private.` types travel on the PRIVATE stream only.",
        "",
        "| type | stream | source | consumed by |",
        "| --- | --- | --- | --- |",
    ]
    for name, model in CATALOG.items():
        anchor = name.replace(".", "")  # GitHub drops dots and backticks from a heading's anchor
        stream = stream_for_subject(model.subject_pattern())
        used = ", ".join(c.split(" ")[0] for c in consumers[name]) or "—"
        lines.append(f"| [`{name}`](#{anchor}) | {stream} | `{model.SOURCE}` | {used} |")
    lines.append("")
    for prefix, title in (
        ("directory.", "Directory"),
        ("private.directory.", "Directory (private)"),
        ("fairtrade.", "Fairtrade-Town"),
        ("events.", "Events"),
        ("private.events.", "Events (private)"),
        ("wifi.", "Wifi4EU hotspots"),
        ("notifications.", "Notifications"),
        ("private.privacy.", "Data protection (private)"),
    ):
        lines += [f"## {title}", ""]
        for name, model in CATALOG.items():
            if name.startswith(prefix):
                lines += _section(model, consumers[name])
    return "\n".join(lines).rstrip() + "\n"
