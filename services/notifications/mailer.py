"""Mail: Jinja2 templates (German and English, text and HTML) and sending over SMTP with aiosmtplib."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifications.domain import classify_smtp_failure

TEMPLATES = Path(__file__).resolve().parent / "templates"
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = {"de": ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"], "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def when(value: Any, lang: str = "de") -> str:
    """A time as people in Bottrop read it (Europe/Berlin)."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return str(value)
    local = moment.astimezone(BERLIN)
    day = WEEKDAYS.get(lang, WEEKDAYS["de"])[local.weekday()]
    if lang == "en":
        return f"{day} {local:%d %b %Y, %H:%M}"
    return f"{day}, {local:%d.%m.%Y %H:%M} Uhr"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=False,
    )
    env.filters["when"] = when
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


def compose(delivery: dict[str, Any], mail_from: str) -> EmailMessage:
    """The message for one delivery; its Message-ID derives from the delivery id, so a resend after a
    crash carries the same id and the receiving side can drop the copy."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "hallo-bot.de"
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = delivery["recipient"]
    message["Subject"] = delivery["subject"]
    message["Date"] = format_datetime(delivery["created_at"])
    message["Message-ID"] = f"<{delivery['id']}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (delivery["headers"] or {}).items():
        message[name] = value
    message.set_content(delivery["body"])
    if delivery["html"]:
        message.add_alternative(delivery["html"], subtype="html")
    return message


class MailFailure(Exception):
    def __init__(self, reason: str, retry: bool) -> None:
        super().__init__(reason)
        self.reason, self.retry = reason, retry


class SmtpConnection:
    """One SMTP session reused for several messages; reconnects when the server dropped it."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.client: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage) -> None:
        try:
            if self.client is None or not self.client.is_connected:
                self.client = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=self.timeout,
                                              start_tls=False)
                await self.client.connect()
            errors, _ = await self.client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusal = exc.recipients[0] if exc.recipients else None
            outcome = classify_smtp_failure(getattr(refusal, "code", None), getattr(refusal, "message", "refused"))
            raise MailFailure(outcome.reason, outcome.retry) from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self.close()
            outcome = classify_smtp_failure(exc.code, exc.message)
            raise MailFailure(outcome.reason, outcome.retry) from exc
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            await self.close()
            raise MailFailure(f"smtp unreachable: {exc!r}"[:500], retry=True) from exc
        if errors:
            code, text = next(iter(errors.values()))
            outcome = classify_smtp_failure(code, text)
            raise MailFailure(outcome.reason, outcome.retry)

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except Exception:
                client.close()
