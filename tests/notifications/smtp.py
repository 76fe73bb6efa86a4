"""A real SMTP server (aiosmtpd) that can be stopped and started again on the same port, and told
to refuse (5xx) or defer (4xx) some recipients. tests/support/smtp.py's Controller cannot restart."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import Message

from aiosmtpd.controller import Controller

from hallobot.ports import free_port


class Handler:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[str] = []  # each accepted RCPT TO, before its DATA
        self.answers: dict[str, str] = {}  # recipient → e.g. "550 no such user" or "451 try later"

    async def handle_RCPT(self, server, session, envelope, address, options):
        answer = self.answers.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        self.envelopes.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


class RestartableSmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Handler()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["X-Envelope-To"] == address]

    def start(self) -> RestartableSmtpServer:
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="smtp.test",  # a fixed name: no FQDN lookup
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None
