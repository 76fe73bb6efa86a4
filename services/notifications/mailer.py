"""Mail: Jinja2 templates (German and English, text and HTML) and the MIME message of a delivery.
(Sending over SMTP: smtp_client.py.)"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

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


# A web address in our own mail texts; trailing punctuation stays outside the link.
_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")


def linked(text: str) -> Markup:
    """Plain text as HTML: escaped, web addresses as links, line breaks kept. Jinja2's `urlize`
    looks at every word for addresses of all kinds and cost a third of a millisecond per mail;
    our texts only carry http(s) links."""
    parts: list[str] = []
    last = 0
    for match in _WEB_ADDRESS.finditer(text):
        address = escape(match.group())
        parts += (escape(text[last : match.start()]), f'<a href="{address}">{address}</a>')
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("".join(parts).replace("\n", "<br>"))


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
    text_template = env.get_template(f"{lang}/{template}.txt")
    ctx = text_template.new_context(context)
    subject = " ".join("".join(text_template.blocks["subject"](ctx)).split())
    text = "".join(text_template.blocks["body"](ctx)).strip() + "\n"
    html = env.get_template(f"{lang}/{template}.html").render(context | {"subject": subject, "text_body": text})
    return Rendered(subject, text, html)


def _message_id(delivery: dict[str, Any], mail_from: str) -> str:
    """Derived from the delivery id: a resend after a crash carries the same Message-ID, so the
    receiving side can drop the copy."""
    domain = _sender(mail_from).rpartition("@")[2] or "hallo-bot.de"
    return f"<{delivery['id']}@{domain}>"


def compose(delivery: dict[str, Any], mail_from: str) -> EmailMessage:
    """The message for one delivery as an EmailMessage (modern policy). Used for recipients whose
    address is not ASCII (SMTPUTF8), and the reference the tests hold `outgoing` to."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = delivery["recipient"]
    message["Subject"] = delivery["subject"]
    message["Date"] = format_datetime(delivery["created_at"])
    message["Message-ID"] = _message_id(delivery, mail_from)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(delivery["body"])
    if delivery["html"]:
        message.add_alternative(delivery["html"], subtype="html")
    # After the body: set_content/add_alternative drop or move Content-* headers (Content-Language).
    for name, value in (delivery["headers"] or {}).items():
        message[name] = value
    return message


def _header(name: str, value: str) -> bytes:
    """One header line; non-ASCII values as RFC 2047 encoded words. No CR/LF gets through."""
    value = " ".join(str(value).split())
    if not value.isascii():
        value = _encoded_words(value)
    return f"{name}: {value}\r\n".encode("ascii")


def _encoded_words(value: str) -> str:
    """RFC 2047 "B" encoded words of at most 45 bytes (60 base64 characters) each, never splitting a
    character, on folded lines. `email.header.Header` does the same generically at ~0.1 ms a subject."""
    chunks: list[bytes] = []
    chunk = bytearray()
    for char in value:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > 45:
            chunks.append(bytes(chunk))
            chunk.clear()
        chunk += encoded
    chunks.append(bytes(chunk))
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(piece).decode('ascii')}?=" for piece in chunks)


@cache
def _sender(mail_from: str) -> str:
    return parseaddr(mail_from)[1]


@cache
def _from_header(mail_from: str) -> str:
    name, address = parseaddr(mail_from)
    return formataddr((name, address), charset="utf-8") if name else address


def _part(content_type: str, text: str) -> bytes:
    # base64 is C-fast and keeps every line short whatever the text holds
    return f'Content-Type: {content_type}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'.encode(
        "ascii"
    ) + base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")


@dataclass(frozen=True)
class Outgoing:
    sender: str
    recipient: str
    data: bytes | EmailMessage  # ready bytes (sent as they are), or a message aiosmtplib flattens


def outgoing(delivery: dict[str, Any], mail_from: str) -> Outgoing:
    """What goes over SMTP for one delivery. The common case (ASCII addresses) is written directly:
    a fixed MIME shape (text, or multipart/alternative of text and HTML, UTF-8 in base64, RFC 2047
    headers); non-ASCII addresses (SMTPUTF8) take `compose` (EmailMessage).

    Why not EmailMessage for every mail (measured on the 2-core machine, registration mail, 2.4 kB,
    best of 7×200): this function 0.05 ms; EmailMessage with `policy.SMTP` 5.6 ms (header parsing
    and folding, and choosing quoted-printable vs base64 by encoding both); EmailMessage tuned as far
    as it goes (compat32 policy folding ASCII headers as they are, cte="base64", a fixed boundary)
    0.8 ms. The service spends about 4 ms of CPU per mail in all (bench/notify.py), so even the
    tuned one would cost ~20 % of the mail throughput. tests/notifications/test_rules.py checks that
    these bytes parse back (email.policy.default, no defects) to what `compose` would carry."""
    sender, recipient = _sender(mail_from), delivery["recipient"]
    if not (recipient.isascii() and sender.isascii()) or "\n" in recipient or "\r" in recipient:
        return Outgoing(sender, recipient, compose(delivery, mail_from))
    head = b"".join(
        (
            _header("From", _from_header(mail_from)),
            _header("To", recipient),
            _header("Subject", delivery["subject"]),
            _header("Date", format_datetime(delivery["created_at"])),
            _header("Message-ID", _message_id(delivery, mail_from)),
            _header("Auto-Submitted", "auto-generated"),
            *(_header(name, value) for name, value in (delivery["headers"] or {}).items()),
            b"MIME-Version: 1.0\r\n",
        )
    )
    if not delivery["html"]:
        return Outgoing(sender, recipient, head + _part("text/plain", delivery["body"]))
    # base64 never contains "_": the boundary cannot occur in the parts
    boundary = f"=_hallobot_{delivery['id']}".encode("ascii")
    data = b"".join(
        (
            head,
            b'Content-Type: multipart/alternative; boundary="',
            boundary,
            b'"\r\n\r\n',
            b"--",
            boundary,
            b"\r\n",
            _part("text/plain", delivery["body"]),
            b"\r\n",
            b"--",
            boundary,
            b"\r\n",
            _part("text/html", delivery["html"]),
            b"\r\n",
            b"--",
            boundary,
            b"--\r\n",
        )
    )
    return Outgoing(sender, recipient, data)
