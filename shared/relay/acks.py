"""Publishing to JetStream without waiting for each PubAck: a reply inbox of the relay's own.

nats-py's `js.publish_async` would do, but in 2.16.0 a publish the server refuses leaves its future
pending for ever (the error is raised inside the reply callback instead of being set on the future:
nats.py issue #985), and the relay must see every refusal (wrong last msg id, message too large).
So the relay publishes with core `nc.publish(..., reply=<inbox>.<n>)` on the JetStream context's
connection and reads the PubAcks from one wildcard subscription, as `publish_async` does. The inbox
is under the connection's inbox prefix, so deploy/'s per-service inbox permissions hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext, api
from nats.js.errors import APIError, NoStreamResponseError

NO_RESPONDERS = "503"


class AckInbox:
    """One wildcard reply subscription per connection. `send` publishes and returns the message's
    token; `collect` waits until every message sent since the last `collect` is answered (or the time
    is up) and returns the answers by token. One event for the window rather than a future per message:
    the relay reads thousands of PubAcks a second, and a future's wake-up cost as much as its answer."""

    def __init__(self) -> None:
        self._nc: Client | None = None
        self._sub: Subscription | None = None
        self._prefix = ""
        self._awaited: set[str] = set()
        self._answers: dict[str, Msg] = {}
        self._all_answered = asyncio.Event()
        self._next = 0

    async def _connection(self, js: JetStreamContext) -> Client:
        nc: Client = js._nc  # JetStreamContext has no public accessor of its connection
        if nc is not self._nc:
            await self.close()
            self._prefix = nc.new_inbox() + "."
            self._sub = await nc.subscribe(self._prefix + "*", cb=self._reply)
            self._nc = nc
        return nc

    async def _reply(self, msg: Msg) -> None:
        token = msg.subject[len(self._prefix) :]
        if token in self._awaited:  # else an answer that came too late, for a window given up
            self._awaited.remove(token)
            self._answers[token] = msg
            if not self._awaited:
                self._all_answered.set()

    def _expect(self) -> str:
        """A new token, awaited from now on."""
        self._next += 1
        token = str(self._next)
        self._awaited.add(token)
        self._all_answered.clear()
        return token

    async def send(self, js: JetStreamContext, subject: str, payload: bytes, headers: dict[str, str]) -> str:
        """Publish; a client-side failure (too large, bad subject, connection closed) raises here."""
        nc = await self._connection(js)
        token = self._expect()
        try:
            await nc.publish(subject, payload, reply=self._prefix + token, headers=headers)
        except BaseException:
            self._awaited.discard(token)
            raise
        return token

    async def collect(self, timeout: float) -> dict[str, Msg]:
        """The answers to what was sent since the last call, by token; a message with no answer within
        `timeout` has none (and a late answer to it is dropped)."""
        if self._awaited:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_answered.wait(), timeout)
        answers = self._answers
        self.forget()
        return answers

    def forget(self) -> None:
        """Drop what is still awaited and the answers not collected."""
        self._awaited.clear()
        self._answers = {}

    async def close(self) -> None:
        self.forget()
        if self._sub is not None:
            with contextlib.suppress(Exception):  # the connection may be closed already
                await self._sub.unsubscribe()
        self._sub, self._nc = None, None


def duplicate(msg: Msg) -> bool:
    """Whether the PubAck in a reply says the server dropped the message as a copy (dedup window);
    the error it carries is raised as `js.publish` raises it. Only that flag is read: building
    nats-py's PubAck dataclass for each reply cost as much as sending the message, and the common
    answer, a plain PubAck (`{"stream":"WIFI", "seq":7}`), is told without parsing its JSON."""
    data = msg.data
    if not msg.headers and data.startswith(b'{"stream":') and b'"error"' not in data and b'"duplicate"' not in data:
        return False
    if msg.headers and msg.headers.get(api.Header.STATUS) == NO_RESPONDERS:
        raise NoStreamResponseError
    response: dict[str, Any] = json.loads(msg.data)
    if "error" in response:
        APIError.from_error(response["error"])  # raises the error's class (400, 503, …)
    if "stream" not in response:
        raise APIError(description=f"not a PubAck: {msg.data[:200]!r}")
    return bool(response.get("duplicate"))
