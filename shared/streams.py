"""JetStream stream declarations for every stream of HalloBot, and their idempotent set-up."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from shared.retry import Backoff, retrying

log = logging.getLogger("hallobot.streams")

DAY = 24 * 3600
# Dedup window for Nats-Msg-Id: a relay that crashed after publishing and before marking its
# rows re-publishes them on restart; the server drops those copies if they come within this window.
DUPLICATE_WINDOW_S = 3600
DECLARE_BACKOFF = Backoff(first_s=0.25, max_s=4.0, jitter_s=0.25)


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_s: float | None = None  # None keeps everything (history duty, e.g. Wifi4EU's three years)

    def config(self, replicas: int = 1) -> StreamConfig:
        max_age = self.max_age_s or 0
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            description=self.description,
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=max_age,
            duplicate_window=min(DUPLICATE_WINDOW_S, max_age) if max_age else DUPLICATE_WINDOW_S,
            num_replicas=replicas,
        )


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("DIRECTORY", ("hallobot.directory.>",), "business profile events"),
    StreamSpec("EVENTS", ("hallobot.events.>",), "event and registration events (no personal data)"),
    StreamSpec("WIFI", ("hallobot.wifi.hotspot.>",), "hotspot status events"),
    StreamSpec("WIFI_REPORTS", ("hallobot.wifi.reports.>",), "raw status reports from hosts", 7 * DAY),
    StreamSpec("FAIRTRADE", ("hallobot.fairtrade.>",), "campaign criteria and milestones"),
    StreamSpec("NOTIFICATIONS", ("hallobot.notifications.>",), "delivery outcomes (no raw addresses)"),
    StreamSpec("PRIVATE", ("hallobot.private.>",), "events with personal data, internal only", 14 * DAY),
    StreamSpec("DLQ", ("hallobot.dlq.>",), "dead letters with the reason and the original", 90 * DAY),
)
STREAMS_BY_NAME: Mapping[str, StreamSpec] = MappingProxyType({spec.name: spec for spec in STREAMS})


def stream_for_subject(subject: str) -> str:
    """The name of the stream that holds `subject`."""
    for spec in STREAMS:
        for pattern in spec.subjects:
            if subject.startswith(pattern.removesuffix(">")):
                return spec.name
    raise ValueError(f"no stream holds subject {subject!r}")


async def ensure_streams(js: JetStreamContext, replicas: int = 1, *, attempts: int = 6) -> None:
    """Create missing streams and bring existing ones to the declared configuration.

    Several services start at once and declare the same streams. On a fresh cluster with R3
    streams, nats-server (2.15.1) leaves some of those concurrent creates and updates without an
    answer (the stream does get created; nats-server issue #3677), and a create can lose the race
    to another service's. Each stream is therefore tried again, with a growing pause and jitter,
    up to `attempts` times before start-up gives up."""
    for spec in STREAMS:
        config = spec.config(replicas)
        async for attempt in retrying(
            DECLARE_BACKOFF, on=_worth_another_try, attempts=attempts, log=log, what=f"declaring stream {spec.name}"
        ):
            with attempt:
                await _declare(js, config)


def _worth_another_try(error: BaseException) -> bool:
    if isinstance(error, BadRequestError):
        return error.err_code == STREAM_NAME_IN_USE
    return isinstance(error, NatsTimeoutError)


STREAM_NAME_IN_USE = 10058  # JetStream API error: a concurrent create with another configuration won


async def _declare(js: JetStreamContext, config: StreamConfig) -> None:
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)
