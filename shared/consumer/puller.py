"""`Puller`: fetches from a JetStream pull consumer without the wait that nats-py's `fetch` can add.

Why not `PullSubscription.fetch` (nats-py 2.16, issue #19 part 6; nats-py issues #933, #986): all
pull requests of a subscription answer on one inbox, so a 408 that ends an *earlier* request (one
the client stopped waiting for when its own timer fired a moment before the server's expiry) is
read by the next fetch as the answer to its no-wait probe. `_fetch_n` then sends a second,
lingering request without `no_wait`, which the server keeps open until its batch is full or it
expires, and which outlives that fetch. The next message published lands in that orphan (the server
serves the oldest request first); the fetch that receives it waits for the rest of its batch until
the orphan expires, up to `fetch_timeout_s` later. Measured: the second message of a pair, or a
single one, handled up to the whole fetch timeout after publication (bench/idle_latency.py).

What this does instead, with the server's own fetch semantics (a pull request with `no_wait` and
`expires` waits until the first message is there, delivers what is available up to the batch and
then ends itself with a 404/408 status):
- exactly one request in flight, always with `no_wait` and `expires`, never a lingering one;
- each request answers on its own reply subject (`<inbox>.<n>`, under the connection's inbox
  prefix), so a status is matched to the request it ends and a stale one is never taken for the
  answer of the current request;
- the client waits a little longer than the request lives, so the server's end of the request is
  always seen and no request is left behind by a client-side timeout;
- a fetch returns when its request ended (a status) or its batch is full; messages already here
  (a straggler after a lost connection) are returned at once without asking the server.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import Header, StatusCode

log = logging.getLogger("hallobot.consumer")
# How much longer than the request's life the client waits for the server to end it. Only a lost
# connection uses it up: the server's 408 at expiry normally arrives within milliseconds.
END_GRACE_S = 1.0
# A request that ended empty long before its expiry (a 408 "Requests Pending" while another
# instance's request takes the pending messages): a short pause before the next, instead of a spin.
EARLY_END_PAUSE_S = 0.01


class FetchRefused(Exception):
    """The server ended a pull request with a status other than "no messages" or "timeout"
    (409 consumer deleted, leadership change, max waiting exceeded; 400 bad request)."""

    def __init__(self, status: str, description: str) -> None:
        super().__init__(f"{status} {description}".strip())
        self.status, self.description = status, description


class Puller:
    """Fetches batches from one durable pull consumer; one fetch at a time."""

    def __init__(self, nc: Client, request_subject: str) -> None:
        self._nc = nc
        self._request_subject = request_subject  # $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>
        self._inbox = nc.new_inbox()  # under the connection's inbox prefix (deploy's permissions)
        self._sub: Subscription | None = None
        self._ready: collections.deque[Msg] = collections.deque()
        self._arrived = asyncio.Event()
        self._seq = 0
        self._end: tuple[str, str] | None = None  # the status that ended the current request
        self._other_ended = False  # an earlier request ended while this one was open

    @classmethod
    async def bind(cls, pull: JetStreamContext.PullSubscription) -> Puller:
        """A puller on the consumer that nats-py's `pull_subscribe` created or found (its connection
        and request subject, two attributes nats-py keeps private); nats-py's own inbox is dropped."""
        puller = cls(pull._nc, pull._nms)
        await puller.start()
        await pull.unsubscribe()
        return puller

    async def start(self) -> None:
        self._sub = await self._nc.subscribe(f"{self._inbox}.*", cb=self._receive)

    async def close(self) -> None:
        """Stop receiving; a message that arrived after the last fetch is handed back (nak) at once."""
        if self._sub is not None:
            sub, self._sub = self._sub, None
            await sub.unsubscribe()
        while self._ready:
            msg = self._ready.popleft()
            try:
                await msg.nak()
            except Exception as exc:  # connection gone: it comes back after ack_wait
                log.debug("nak at close failed", extra={"error": repr(exc)})

    async def _receive(self, msg: Msg) -> None:
        status = msg.headers.get(Header.STATUS) if msg.headers else None
        if not status:
            self._ready.append(msg)
        elif status == StatusCode.CONTROL_MESSAGE:
            return  # an idle heartbeat (we ask for none) or flow control
        elif msg.subject == f"{self._inbox}.{self._seq}":
            self._end = (status, msg.headers.get(Header.DESCRIPTION, "") if msg.headers else "")
        else:
            self._other_ended = True  # a request left open by a lost connection has ended
        self._arrived.set()

    async def fetch(self, batch: int, expires_s: float) -> list[Msg]:
        """Up to `batch` messages: those there now, else what the first arrival brings (waiting up to
        `expires_s` for it); [] if none came. Raises `FetchRefused` for an error status, and nats-py's
        errors when the connection is closed or cannot publish."""
        if self._sub is None:
            raise RuntimeError("puller not started")
        if self._ready:
            return self._take(batch)
        self._seq += 1
        self._end, self._other_ended = None, False
        request = {"batch": batch, "expires": int(expires_s * 1_000_000_000), "no_wait": True}
        started = time.monotonic()
        await self._nc.publish(self._request_subject, json.dumps(request).encode(), reply=f"{self._inbox}.{self._seq}")
        deadline = started + expires_s + END_GRACE_S
        while True:
            if len(self._ready) >= batch or (self._ready and (self._end or self._other_ended)):
                return self._take(batch)
            if self._end is not None:
                return await self._ended_empty(self._end, time.monotonic() - started, expires_s)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                # No end from the server (connection lost meanwhile): what arrived, and ask anew.
                log.info("pull request not answered", extra={"subject": self._request_subject})
                return self._take(batch)
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                pass

    async def _ended_empty(self, end: tuple[str, str], took_s: float, expires_s: float) -> list[Msg]:
        status, description = end
        if status not in (StatusCode.NO_MESSAGES, StatusCode.REQUEST_TIMEOUT):
            raise FetchRefused(status, description)
        if took_s < expires_s / 2:
            await asyncio.sleep(EARLY_END_PAUSE_S)
        return []

    def _take(self, batch: int) -> list[Msg]:
        count = min(batch, len(self._ready))
        return [self._ready.popleft() for _ in range(count)]
