"""The MIME message of one delivery, written directly (`outgoing`) or with the `email` package for
non-ASCII addresses (`compose`). Rendering: mailer.py; sending over SMTP: smtp_client.py."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from typing import Any

from markupsafe import escape

# Stands in for a registrant's cancel link in the stored mail: the link itself travels in the
# delivery's `secret_link` until the server accepted the mail, and is then wiped (handlers_delivery).
CANCEL_LINK = "https://cancel-link.hallobot.invalid/"


def with_secret_link(delivery: dict[str, Any]) -> dict[str, Any]:
    """The delivery with its cancel link in place of `CANCEL_LINK`: the stored text never holds the
    token, and the row's `secret_link` is wiped once the server accepted the mail."""
    secret = delivery.get("secret_link")
    if not secret:
        return delivery
    html = delivery["html"]
    return delivery | {
        "body": delivery["body"].replace(CANCEL_LINK, secret),
        "html": html.replace(CANCEL_LINK, str(escape(secret))) if html else html,
    }


def _message_id(delivery: dict[str, Any], mail_from: str) -> str:
    """Derived from the delivery id: a resend after a crash carries the same Message-ID, so the
    receiving side can drop the copy."""
    domain = _sender(mail_from).rpartition("@")[2] or "hallo-bot.de"
    return f"<{delivery['id']}@{domain}>"


def compose(delivery: dict[str, Any], mail_from: str) -> EmailMessage:
    """The message for one delivery as an EmailMessage (modern policy). Used for recipients whose
    address is not ASCII (SMTPUTF8), and the reference the tests hold `outgoing` to."""
    delivery = with_secret_link(delivery)
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
    delivery = with_secret_link(delivery)
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
