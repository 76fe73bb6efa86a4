"""The one retry helper (shared/retry.py): what it tries again, how long it waits, when it gives up."""

from __future__ import annotations

import logging
import time

import pytest

from shared.retry import Backoff, retrying, wait_until


async def test_retrying_tries_a_named_error_again_and_gives_up_after_the_attempts_with_that_error(caplog):
    calls = []

    async def flaky() -> str:
        calls.append(time.monotonic())
        raise ConnectionError(f"try {len(calls)}")

    log = logging.getLogger("test.retry")
    with caplog.at_level(logging.WARNING), pytest.raises(ConnectionError, match="try 3"):
        async for attempt in retrying(Backoff(0.02, 0.05), on=ConnectionError, attempts=3, log=log, what="flaky call"):
            with attempt:
                await flaky()
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.02 and calls[2] - calls[1] >= 0.04  # the pause grows
    assert [record.getMessage() for record in caplog.records] == ["flaky call failed, trying again"] * 2


async def test_retrying_lets_an_error_it_does_not_name_through_at_once():
    calls = 0
    with pytest.raises(ValueError):
        async for attempt in retrying(Backoff(0.01, 0.01), on=lambda error: isinstance(error, ConnectionError)):
            with attempt:
                calls += 1
                raise ValueError("not worth another try")
    assert calls == 1


async def test_retrying_returns_what_the_first_successful_try_gives():
    answers = iter([ConnectionError("down"), ConnectionError("down"), "up"])

    async def call() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async for attempt in retrying(Backoff(0.01, 0.01), on=ConnectionError):
        with attempt:
            result = await call()
    assert result == "up"


def test_wait_until_is_true_once_ready_and_false_when_the_time_is_up():
    ready_at = time.monotonic() + 0.1
    assert wait_until(lambda: time.monotonic() >= ready_at, every_s=0.02, within_s=5)
    started = time.monotonic()
    assert not wait_until(lambda: False, every_s=0.02, within_s=0.2)
    assert 0.2 <= time.monotonic() - started < 2


def test_wait_until_ends_at_once_when_the_check_raises():
    def check() -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        wait_until(check, every_s=0.01, within_s=5)
