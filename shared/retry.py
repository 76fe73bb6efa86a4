"""The one way HalloBot tries something again: tenacity, with the backoff written down once.

Used where a part waits for another one to come (back): stream declarations at start-up, the outbox
relay and the consumers while the broker or the database is away, `hallobot up` waiting for its
children. Not used for the notifications delivery schedule (a stored rule of that service) nor for
JetStream's redelivery delays (the server applies those).

    async for attempt in retrying(Backoff(0.05, 2.0), on=Exception, log=log, what="relay round"):
        with attempt:
            await one_round()

Only the slow path enters tenacity: callers try once on their own and retry through here after a
failure, so a hot loop pays nothing while all is well.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    stop_never,
    wait_exponential,
    wait_fixed,
    wait_random,
)
from tenacity.retry import retry_base
from tenacity.stop import stop_base
from tenacity.wait import wait_base

__all__ = ["Backoff", "retrying", "wait_until"]


@dataclass(frozen=True)
class Backoff:
    """Pauses between tries: `first_s`, doubling each time up to `max_s`, plus up to `jitter_s` at
    random (so that several processes that failed together do not come back together)."""

    first_s: float
    max_s: float
    jitter_s: float = 0.0

    def wait(self) -> wait_base:
        growing = wait_exponential(multiplier=self.first_s, max=self.max_s)
        return growing + wait_random(0, self.jitter_s) if self.jitter_s else growing


def _logger(log: logging.Logger, what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        log.warning(
            "%s failed, trying again",
            what,
            extra={
                "attempt": state.attempt_number,
                "retry_in_s": round(state.upcoming_sleep, 2),
                "error": repr(error),
            },
        )

    return before_sleep


def retrying(
    backoff: Backoff,
    *,
    on: type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool],
    attempts: int | None = None,
    log: logging.Logger | None = None,
    what: str = "",
) -> AsyncRetrying:
    """Tries for `async for attempt in …: with attempt: …`. An error that `on` names (exception
    types, or a predicate) is tried again after the backoff; after `attempts` tries (None: for
    ever) the last error is raised as it was. Each retry is logged as a warning on `log`."""
    retry: retry_base = retry_if_exception_type(on) if isinstance(on, type | tuple) else retry_if_exception(on)
    stop: stop_base = stop_after_attempt(attempts) if attempts else stop_never
    return AsyncRetrying(
        wait=backoff.wait(),
        retry=retry,
        stop=stop,
        reraise=True,
        before_sleep=_logger(log, what) if log is not None else None,
    )


def wait_until(
    ready: Callable[[], bool],
    *,
    every_s: float,
    within_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Call `ready` every `every_s` until it returns True (→ True) or `within_s` has passed (→ False).
    An exception from `ready` ends the wait at once; `sleep` may wake early (e.g. on Ctrl-C)."""
    poll = Retrying(
        retry=retry_if_result(lambda answer: not answer),
        stop=stop_after_delay(within_s),
        wait=wait_fixed(every_s),
        sleep=sleep,
        retry_error_callback=lambda _state: False,
    )
    return bool(poll(ready))
