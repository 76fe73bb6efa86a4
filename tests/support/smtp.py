"""The one SMTP test server: a real aiosmtpd server that records every message it accepts.

It keeps its port across `stop()` and `start()` (an SMTP outage in a test; aiosmtpd's Controller
cannot start twice, so each start builds a new one), and it can be told to refuse (5xx) or defer
(4xx) some recipients. Each recorded message is parsed with the standard policy and carries its
envelope recipients as `X-Envelope-To`."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from hallobot.ports import free_port


class RecordingHandler:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[str] = []  # each accepted RCPT TO, before its DATA
        self.answers: dict[str, str] = {}  # recipient → e.g. "550 no such user" or "451 try later"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        answer = self.answers.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        self.envelopes.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        message = message_from_bytes(content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    @property
    def running(self) -> bool:
        return self.controller is not None

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["X-Envelope-To"] == address]

    def start(self) -> SmtpServer:
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="smtp.test",  # a fixed name: no FQDN lookup
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
