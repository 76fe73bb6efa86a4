"""Mail: Jinja2 templates (German and English, text and HTML), rendered once per delivery. The MIME
message: mail_mime.py (re-exported here); sending over SMTP: smtp_client.py."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from services.notifications.mail_mime import CANCEL_LINK, Outgoing, compose, outgoing

TEMPLATES = Path(__file__).resolve().parent / "templates"
BERLIN = ZoneInfo("Europe/Berlin")
LANGUAGES = ("de", "en")
# Weekday and month names from Babel (CLDR), looked up once here: formatting each time with
# babel.dates.format_datetime cost ~15 µs a call, several calls a mail, on the consumer's hot path.
WEEKDAYS = {
    lang: [get_day_names("abbreviated", context="stand-alone", locale=lang)[day] for day in range(7)]
    for lang in LANGUAGES
}
MONTHS = {lang: [""] + [get_month_names("abbreviated", locale=lang)[m] for m in range(1, 13)] for lang in LANGUAGES}


def when(value: Any, lang: str = "de") -> str:
    """A time as people in Bottrop read it (Europe/Berlin): `Mo, 29.11.2026 14:15 Uhr`,
    `Mon 29 Nov 2026, 14:15`."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return str(value)
    local = moment.astimezone(BERLIN)
    lang = lang if lang in WEEKDAYS else "de"
    day = WEEKDAYS[lang][local.weekday()]
    if lang == "en":
        return f"{day} {local.day:02d} {MONTHS[lang][local.month]} {local.year}, {local:%H:%M}"
    return f"{day}, {local:%d.%m.%Y %H:%M} Uhr"


# A web address in a mail text; trailing punctuation stays outside the link.
_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")
# The context values that are links HalloBot builds itself (or the office entered: an event's online
# link): only these become clickable. Every other text, a registrant's or an owner's above all, stays
# text, even where it looks like a web address (docs/security/mail.md).
OUR_LINKS = (
    "confirm_url",
    "unsubscribe_url",
    "cancel_url",
    "reconfirm_url",
    "profile_url",
    "edit_url",
    "online_url",
    "link_request_url",
    "office_url",
    "event_url",
)


def linked(text: str, links: Collection[str] = ()) -> Markup:
    """Plain text as HTML: escaped, line breaks kept, and the addresses in `links` (ours) as links.
    Any other web address stays text, whoever wrote it. One regular expression and a set lookup:
    Jinja2's `urlize` cost a third of a millisecond per mail."""
    parts: list[str] = []
    last = 0
    for match in _WEB_ADDRESS.finditer(text):
        if match.group() not in links:
            continue
        address = escape(match.group())
        parts += (escape(text[last : match.start()]), f'<a href="{address}">{address}</a>')
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("".join(parts).replace("\n", "<br>"))


def our_links(context: dict[str, Any]) -> frozenset[str]:
    return frozenset(value for key in OUR_LINKS if isinstance(value := context.get(key), str) and value)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.filters["when"] = when
    env.filters["linked"] = linked
    return env


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, lang: str, context: dict[str, Any]) -> Rendered:
    """Render `<lang>/<template>.txt` (blocks subject and body) and `<lang>/<template>.html`."""
    env = environment()
    context = {"lang": lang, "unsubscribe_url": None, **context}
    context["links"] = our_links(context)
    text_template = env.get_template(f"{lang}/{template}.txt")
    ctx = text_template.new_context(context)
    subject = " ".join("".join(text_template.blocks["subject"](ctx)).split())
    text = "".join(text_template.blocks["body"](ctx)).strip() + "\n"
    html = env.get_template(f"{lang}/{template}.html").render(context | {"subject": subject, "text_body": text})
    return Rendered(subject, text, html)


__all__ = ["CANCEL_LINK", "Outgoing", "Rendered", "compose", "linked", "outgoing", "render", "when"]
