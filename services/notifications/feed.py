"""The public feed as Server-Sent Events, resumable from the streams themselves. app.py creates the
one `Broadcaster` of a service instance; it runs as a background job and routes reach it as
`request.app.state.feed`.

There is no FEED stream: the feed follows the four public domain streams, and the SSE id is the
vector of stream positions a client has seen, e.g. `12-40-1002-3` (DIRECTORY-EVENTS-WIFI-FAIRTRADE).
No extra stream means no second copy of every event and no stream for deploy/ to replicate.

Live tail: one `Broadcaster` per service instance follows the four streams with one ordered
consumer each (four consumers per instance, not per client) and hands every public event, encoded
once, to each connected client's bounded queue. A client whose queue fills (it reads too slowly)
is dropped; its browser reconnects with the last id it got.

Resume: a reconnect with `Last-Event-ID` registers for the live tail first and notes the
broadcaster's position at that instant (one step, no await in between), then reads what it missed
from JetStream — a temporary pull consumer per stream, from its position up to the noted one —
and then switches to the live queue, which has buffered everything after the noted position. Each
event is passed on only if its stream sequence is past the client's position in that stream, so
the switch has neither gaps nor duplicates, and a replay comes from the streams (it survives a
restart of this service), never from memory.

Backlog: a new client (no `Last-Event-ID`) may ask for `backlog` = N: it then starts N stream
sequences before the live position in each stream and gets those events first, the same way a
resuming client catches up (up to N per stream: hidden types and deleted messages are skipped).
The live page asks for 20, so it does not open empty.

Bounds: a resume goes back at most `replay_limit` sequences per stream (an older id, or 0-0-0-0,
starts there); at most `max_clients` connections (`admit`). Events about a business profile pass
only while the office has it published (`feed_stream.Profiles`, noted from DIRECTORY in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from prometheus_client import Counter, Gauge

from services.notifications.feed_stream import (
    FEED_STREAMS,
    TYPE_PREFIX,
    VISIBILITY_SUBJECTS,
    Profiles,
    frame,
    public_data,
    replay,
)
from services.notifications.sentences import Names

log = logging.getLogger("hallobot.notifications.feed")

CLIENT_QUEUE_LIMIT = 1_000  # live events a client may lag behind before it is dropped (it resumes by id)
READY_TIMEOUT_S = 15.0  # a client waits this long for the broadcaster's consumers at start-up
RESTART_DELAY_S = 1.0  # between attempts to (re)start the broadcaster's consumers
DIRECTORY = 0  # the index of the DIRECTORY stream in FEED_STREAMS (business profiles)
NAMED_STREAMS = (1, 2)  # EVENTS and WIFI: their events name an event or a hotspot by id
NAMES_LOOKUP_INTERVAL_S = 5.0

FEED_CLIENTS = Gauge("hallobot_feed_clients", "Open GET /feed connections of this instance")
FEED_DROPPED = Counter("hallobot_feed_clients_dropped_total", "Feed clients dropped for reading too slowly")


# (stream index, stream sequence, the id vector after it, the event's JSON, the encoded frame)
Item = tuple[int, int, tuple[int, ...], str, bytes]


class _Client:
    __slots__ = ("dropped", "queue")

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=CLIENT_QUEUE_LIMIT)
        self.dropped = False


class Broadcaster:
    """Follows the public streams once for this instance and fans each event out to every client."""

    def __init__(self, max_clients: int = 10_000, replay_limit: int = 1_000) -> None:
        self.jetstream: Callable[[], JetStreamContext] | None = None  # given by `run`
        self.position: list[int] = [0] * len(FEED_STREAMS)  # last stream sequence handled, per stream
        self.clients: set[_Client] = set()
        self.ready = asyncio.Event()
        self.max_clients, self.replay_limit = max_clients, replay_limit
        self.connections = 0  # admitted connections (open responses), see `admit`
        self.profiles = Profiles()
        self.profiles_known = 0  # DIRECTORY sequence up to which `profiles` has every change
        # Hotspots and events by name, for each event's sentence: learnt from the events passed on,
        # and looked up in the service's tables (`lookup`) when one is not known here.
        self.names = Names()
        self.lookup: Callable[[], Awaitable[Names]] | None = None
        self.looked_up_at = -NAMES_LOOKUP_INTERVAL_S
        self._lookups: set[asyncio.Task[None]] = set()  # running background lookups (kept referenced)

    # --- admission -------------------------------------------------------------------------------

    def admit(self) -> bool:
        """Take a connection slot (False: the instance is full). No await: check and count together."""
        if self.connections >= self.max_clients:
            return False
        self.connections += 1
        return True

    def leave(self) -> None:
        self.connections -= 1

    # --- the one reader per instance ------------------------------------------------------------

    async def run(
        self, jetstream: Callable[[], JetStreamContext], lookup: Callable[[], Awaitable[Names]] | None = None
    ) -> None:
        """Start the four ordered consumers and keep them until cancelled (a background job of the
        service: it lives as long as the service). `lookup`: every name the service knows."""
        self.jetstream, self.lookup = jetstream, lookup
        while True:
            subscriptions = []
            try:
                js = jetstream()
                for index, (stream, subject) in enumerate(FEED_STREAMS):
                    start = (await js.stream_info(stream)).state.last_seq
                    if not self.ready.is_set():
                        self.position[index] = start
                    start = self.position[index]  # after a restart: go on where we were, no gap
                    if index == DIRECTORY:
                        await self._learn_profiles(js, stream, start)
                    subscriptions.append(
                        await js.subscribe(
                            subject,
                            stream=stream,
                            cb=self._callback(index),
                            ordered_consumer=True,
                            config=ConsumerConfig(
                                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start + 1
                            ),
                        )
                    )
                if not self.ready.is_set():
                    await self.look_up_names()  # the sites and events the service knows already
                self.ready.set()
                await asyncio.Event().wait()  # until cancelled
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("feed broadcaster could not follow the streams; retrying")
                await asyncio.sleep(RESTART_DELAY_S)
            finally:
                for subscription in subscriptions:
                    with contextlib.suppress(Exception):
                        await subscription.unsubscribe()

    async def _learn_profiles(self, js: JetStreamContext, stream: str, until: int) -> None:
        """Read the profiles' publish, unpublish and archive events up to `until` (from the stream's
        start the first time): what the feed shows of a profile depends on them."""
        if self.profiles_known >= until:
            return
        async with contextlib.aclosing(replay(js, stream, VISIBILITY_SUBJECTS, self.profiles_known, until)) as changes:
            async for seq, raw in changes:
                public_data(raw, seq, self.profiles, note=True)
        self.profiles_known = until

    def _callback(self, index: int) -> Callable[[Msg], Awaitable[None]]:
        async def on_message(msg: Msg) -> None:
            if index in NAMED_STREAMS:
                self._know_names(msg.data)
            self.publish(index, msg.metadata.sequence.stream, msg.data)

        return on_message

    def _know_names(self, raw: bytes) -> None:
        """An event that names a hotspot or an event not known here: look the service's tables up in
        the background (at most every NAMES_LOOKUP_INTERVAL_S), for the events after it. No await
        here: the callbacks of the four streams pass events on in the order they arrive."""
        if self.lookup is None or time.monotonic() - self.looked_up_at < NAMES_LOOKUP_INTERVAL_S:
            return
        try:
            event = json.loads(raw)
            short, data = str(event.get("type", "")).removeprefix(TYPE_PREFIX), event.get("data") or {}
        except ValueError:
            return
        if isinstance(data, dict) and self.names.lacks(short, data):
            self.looked_up_at = time.monotonic()
            task = asyncio.create_task(self.look_up_names())
            self._lookups.add(task)
            task.add_done_callback(self._lookups.discard)

    async def look_up_names(self) -> None:
        """Every name in the service's tables (a replay, or an event naming what is not known here)."""
        if self.lookup is None:
            return
        self.looked_up_at = time.monotonic()
        try:
            found = await self.lookup()
        except Exception:
            log.exception("feed broadcaster could not look up names; the sentence names no place")
            return
        self.names.hotspots = found.hotspots | self.names.hotspots
        self.names.events = found.events | self.names.events

    def publish(self, index: int, seq: int, raw: bytes) -> None:
        """Hand one stream message to every client. No await: position and fan-out change together."""
        if seq <= self.position[index]:
            return  # an ordered consumer's reset may repeat what we already passed on
        self.position[index] = seq
        if index == DIRECTORY:
            data = public_data(raw, seq, self.profiles, note=True, names=self.names)
            self.profiles_known = seq
        else:
            data = public_data(raw, names=self.names)
        if data is None:
            return
        vector = tuple(self.position)
        item = (index, seq, vector, data, frame(vector, "message", data))
        dropped = []
        for client in self.clients:
            try:
                client.queue.put_nowait(item)
            except asyncio.QueueFull:
                dropped.append(client)
        for client in dropped:
            client.dropped = True
            self.clients.discard(client)
            FEED_DROPPED.inc()
        if dropped:
            log.warning("%d feed client(s) too slow, dropped; they resume from their Last-Event-ID", len(dropped))

    # --- one client ------------------------------------------------------------------------------

    async def follow(self, wanted: list[int] | None, backlog: int = 0) -> AsyncIterator[bytes]:
        """SSE frames: `ready` with the starting position, then every public event after it.
        `wanted`: the position of a resuming client (feed_stream.parse_position), None for a new one."""
        await asyncio.wait_for(self.ready.wait(), READY_TIMEOUT_S)
        client = _Client()
        self.clients.add(client)  # these two lines together: the live queue gets everything after `target`
        target = list(self.position)
        FEED_CLIENTS.inc()
        try:
            if wanted is not None:
                position = await self._start(wanted, target)
            else:
                position = [max(0, seq - backlog) for seq in target]
            yield frame(position, "ready", json.dumps({"streams": [s for s, _ in FEED_STREAMS]}))
            behind = any(mine < theirs for mine, theirs in zip(position, target, strict=True))
            if behind and time.monotonic() - self.looked_up_at >= NAMES_LOOKUP_INTERVAL_S:
                await self.look_up_names()  # the events replayed below may name older hotspots

            for index, (stream, subject) in enumerate(FEED_STREAMS):
                if position[index] >= target[index]:
                    continue
                async with contextlib.aclosing(
                    replay(self._js(), stream, subject, position[index], target[index])
                ) as missed:
                    async for seq, raw in missed:
                        if client.dropped:
                            return
                        if seq <= position[index]:
                            continue
                        position[index] = seq
                        data = public_data(raw, seq, self.profiles if index == DIRECTORY else None, names=self.names)
                        if data is not None:
                            yield frame(position, "message", data)
                position[index] = max(position[index], target[index])

            while not client.dropped:
                index, seq, vector, data, encoded = await client.queue.get()
                if seq <= position[index]:
                    continue  # this client is already past it (it resumed from a further position)
                if all(mine <= theirs for mine, theirs in zip(position, vector, strict=True)):
                    position[:] = vector  # the common case: the id everyone gets, encoded once
                    yield encoded
                else:
                    position[:] = [max(mine, theirs) for mine, theirs in zip(position, vector, strict=True)]
                    yield frame(position, "message", data)
        finally:
            self.clients.discard(client)
            FEED_CLIENTS.dec()

    async def _start(self, wanted: list[int], target: list[int]) -> list[int]:
        """Where a resuming client starts: its id, but at most `replay_limit` back (an old id, or
        0-0-0-0, gets the bounded backlog, never all history), and not past a stream's end (a
        recreated stream)."""
        position = [max(mine, live - self.replay_limit) for mine, live in zip(wanted, target, strict=True)]
        js = self._js()
        for index, (stream, _) in enumerate(FEED_STREAMS):
            if wanted[index] > target[index]:  # another instance's id may be ahead of ours: keep it
                last = (await js.stream_info(stream)).state.last_seq
                position[index] = min(wanted[index], max(last, target[index]))
        return position

    def _js(self) -> JetStreamContext:
        assert self.jetstream is not None, "the broadcaster runs before clients are served (ready)"
        return self.jetstream()
