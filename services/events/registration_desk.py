"""The registration desk: registrations for one event are decided one batch at a time, in the order they
arrived (group commit).

A workshop announced in the newsletter gets hundreds of registrations in a minute. Decided one by one,
each holds the event's lock (its row on PostgreSQL, the write turn on SQLite) across its round trips
and the event-loop turns between them, and the next waits: the event's registrations go one at a
time, however many connections there are (bench/README.md, "registration_rush.py"). At the desk,
those who arrive while a batch is being decided wait for the next one, which decides all of them in
one transaction: one lock, one count, the rules applied one after the other with the counts each
decision leaves (`handlers.register_all`), one write. A lone registration is a batch of one and waits
for nothing; a batch is at most `MAX_BATCH`.

A batch is decided at one moment (its registrations' time of consent is when their batch was decided,
milliseconds after they arrived). A refused registration (already registered, a slot taken, full
without waitlist) gets its own answer.
When the database refuses a whole batch (an error that is no rule's), each of its registrations is
tried again alone, so that one cannot fail the others. The events of each registration carry its own
request's trace and actor (shared.outbox.origin). Several instances of the service each have a desk;
their batches are serialised by the event's lock as single registrations were.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from services.events import handlers
from services.events.commands import Registered, RegisterForEvent
from services.events.handlers.ports import Origin
from services.events.store import SqlStore
from shared.db import Database
from shared.envelope import utcnow
from shared.errors import DomainError
from shared.outbox import origin

log = logging.getLogger("hallobot.events.desk")

# At most this many registrations in one transaction: a batch's statement carries 14 parameters per
# registration and 8 per event (two per registration), far below the databases' limits.
MAX_BATCH = 50


@dataclass(slots=True)
class _Waiting:
    command: RegisterForEvent
    origin: Origin
    answer: asyncio.Future[Registered] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


Outcome = Registered | Exception  # a refusal (DomainError) or a fault


class RegistrationDesk:
    """`register` a command and get its answer; see the module's docstring. `database`: the service's
    database once it is up (the runtime starts after the app is built); `link` makes a site path
    absolute (settings.link)."""

    def __init__(
        self,
        database: Callable[[], Database],
        link: Callable[[str], str],
        clock: Callable[[], datetime] = utcnow,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._database, self._link, self._clock, self._max_batch = database, link, clock, max_batch
        self._queues: dict[str, list[_Waiting]] = {}  # event id → who waits (the key exists while a batch runs)
        self._deciding: set[asyncio.Task[None]] = set()

    async def register(self, command: RegisterForEvent) -> Registered:
        """The registration, decided and committed; raises the rule's error if it is refused."""
        waiting = _Waiting(command, origin())
        queue = self._queues.get(command.event_id)
        if queue is not None:  # a batch of this event is being decided: join the next one
            queue.append(waiting)
        else:
            self._queues[command.event_id] = [waiting]
            task = asyncio.create_task(self._decide(command.event_id))
            self._deciding.add(task)
            task.add_done_callback(self._deciding.discard)
        return await waiting.answer

    async def _decide(self, event_id: str) -> None:
        queue = self._queues[event_id]
        batch: list[_Waiting] = []
        try:
            while queue:
                batch = [w for w in queue[: self._max_batch] if not w.answer.done()]  # done: the caller left
                del queue[: self._max_batch]
                if batch:
                    await self._decide_batch(batch)
        except Exception as fault:  # of the desk itself: every caller still waiting hears of it
            log.exception("the registration desk failed for event %s", event_id)
            for left in [*batch, *queue]:
                if not left.answer.done():
                    left.answer.set_exception(fault)
        except BaseException:  # cancelled: the service stops
            for left in [*batch, *queue]:
                if not left.answer.done():
                    left.answer.cancel()
            raise
        finally:
            del self._queues[event_id]

    async def _decide_batch(self, batch: list[_Waiting]) -> None:
        try:
            outcomes = await self._outcomes(batch)
        except Exception as error:
            if len(batch) == 1:
                outcomes = [error]
            else:
                log.warning("a batch of %d registrations failed (%s); each is tried alone", len(batch), error)
                outcomes = [await self._alone(waiting) for waiting in batch]
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if waiting.answer.done():
                continue
            if isinstance(outcome, Exception):
                waiting.answer.set_exception(outcome)
            else:
                waiting.answer.set_result(outcome)

    async def _outcomes(self, batch: list[_Waiting]) -> list[Outcome]:
        try:
            async with self._database().transaction() as session:
                decided = await handlers.register_all(
                    SqlStore(session),
                    [waiting.command for waiting in batch],
                    self._clock(),
                    self._link,
                    [waiting.origin for waiting in batch],
                )
        except DomainError as error:  # the event's own (not found): the same answer for everyone
            return [copy.copy(error) for _ in batch]
        return list(decided)

    async def _alone(self, waiting: _Waiting) -> Outcome:
        try:
            return (await self._outcomes([waiting]))[0]
        except Exception as error:
            return error
