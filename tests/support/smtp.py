"""The one SMTP test server: a real aiosmtpd server that records every message it accepts.

It keeps its port across `stop()` and `start()` (an SMTP outage in a test; aiosmtpd's Controller
cannot start twice, so each start builds a new one), and it can be told to refuse (5xx) or defer
(4xx) some recipients. Each recorded message is parsed with the standard policy and carries its
envelope recipients as `X-Envelope-To`."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from hallobot.ports import free_port


class RecordingHandler:
    def __init__(self) -> None:
        self._received: list[tuple[bytes, list[str]]] = []  # appended by the server's thread
        self._parsed: list[Message] = []
        self._parsing = threading.Lock()
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
        # Only kept here, parsed on the first look: the client waits for this answer, and a fault test
        # that kills the sender should find the same short window as with a real server.
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self._received.append((content, list(envelope.rcpt_tos)))
        return "250 OK"

    @property
    def messages(self) -> list[Message]:
        with self._parsing:
            for content, recipients in self._received[len(self._parsed) :]:
                message = message_from_bytes(content, policy=policy.default)
                message["X-Envelope-To"] = ", ".join(recipients)
                self._parsed.append(message)
            return list(self._parsed)


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
