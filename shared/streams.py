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
MIN_DUPLICATE_WINDOW_S = 0.1  # nats-server refuses a shorter one (0 would mean its default, 2 minutes)
DECLARE_BACKOFF = Backoff(first_s=0.25, max_s=4.0, jitter_s=0.25)


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_s: float | None = None  # None keeps everything (history duty, e.g. Wifi4EU's three years)
    duplicate_window_s: float = DUPLICATE_WINDOW_S
    allow_msg_ttl: bool = False  # per-message TTL (Nats-TTL header), nats-server 2.11+

    def config(self, replicas: int = 1) -> StreamConfig:
        max_age = self.max_age_s or 0
        window = self.duplicate_window_s
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            description=self.description,
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=max_age,
            duplicate_window=min(window, max_age) if max_age else window,
            num_replicas=replicas,
            allow_msg_ttl=True if self.allow_msg_ttl else None,
        )


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("DIRECTORY", ("hallobot.directory.>",), "business profile events"),
    StreamSpec("EVENTS", ("hallobot.events.>",), "event and registration events (no personal data)"),
    StreamSpec("WIFI", ("hallobot.wifi.hotspot.>",), "hotspot status events"),
    # Hosts choose their own Nats-Msg-Id, and the stream's dedup is one namespace for every host (the
    # HOSTS account's import cannot rewrite headers): one host could silence another's report for
    # the window. So the window is the server's minimum, and the wifi consumer's inbox, keyed by
    # `<hotspot id>:<msg id>`, drops a host's own repeats instead.
    StreamSpec(
        "WIFI_REPORTS",
        ("hallobot.wifi.reports.>",),
        "raw status reports from hosts",
        7 * DAY,
        duplicate_window_s=MIN_DUPLICATE_WINDOW_S,
    ),
    StreamSpec("FAIRTRADE", ("hallobot.fairtrade.>",), "campaign criteria and milestones"),
    StreamSpec("NOTIFICATIONS", ("hallobot.notifications.>",), "delivery outcomes (no raw addresses)"),
    StreamSpec("PRIVATE", ("hallobot.private.>",), "events with personal data, internal only", 14 * DAY),
    # Dead letters of PRIVATE messages carry a Nats-TTL that ends with PRIVATE's retention
    # (shared/consumer/dead_letter.py); the others stay for the stream's 90 days.
    StreamSpec(
        "DLQ", ("hallobot.dlq.>",), "dead letters with the reason and the original", 90 * DAY, allow_msg_ttl=True
    ),
)
STREAMS_BY_NAME: Mapping[str, StreamSpec] = MappingProxyType({spec.name: spec for spec in STREAMS})


def stream_for_subject(subject: str) -> str:
    """The name of the stream that holds `subject`."""
    for spec in STREAMS:
        for pattern in spec.subjects:
            if subject.startswith(pattern.removesuffix(">")):
                return spec.name
    raise ValueError(f"no stream holds subject {subject!r}")


class StreamsNotDeclared(Exception):
    """A stream is missing or differs from its declaration, and this user may not declare it."""


async def ensure_streams(js: JetStreamContext, replicas: int = 1, *, attempts: int = 6) -> None:
    """Check every stream against its declaration; create or update those that are missing or differ.

    A stream that exists and fits is left alone (no write). On deploy/'s accounts only the admin
    may create or update streams (`hallobot streams`, run before the services): a service's write
    is refused there, which nats-server shows only as an unanswered request, so after a refused or
    lost write the stream is checked again, and a stream that still is not there or does not fit
    ends start-up with StreamsNotDeclared once the attempts are spent (the admin's run may still
    be under way meanwhile).

    Several services start at once and declare the same streams. On a fresh cluster with R3
    streams, nats-server (2.15.1) leaves some of those concurrent creates and updates without an
    answer (the stream does get created; nats-server issue #3677), and a create can lose the race
    to another service's. Each stream is therefore tried again, with a growing pause and jitter,
    up to `attempts` times before start-up gives up."""
    for spec in STREAMS:
        await ensure_stream(js, spec.config(replicas), attempts=attempts)


async def ensure_stream(js: JetStreamContext, config: StreamConfig, *, attempts: int = 6) -> None:
    async for attempt in retrying(
        DECLARE_BACKOFF, on=_worth_another_try, attempts=attempts, log=log, what=f"declaring stream {config.name}"
    ):
        with attempt:
            await _declare(js, config)


def _worth_another_try(error: BaseException) -> bool:
    if isinstance(error, BadRequestError):
        return error.err_code == STREAM_NAME_IN_USE
    return isinstance(error, (NatsTimeoutError, StreamsNotDeclared))


STREAM_NAME_IN_USE = 10058  # JetStream API error: a concurrent create with another configuration won


async def _declare(js: JetStreamContext, config: StreamConfig) -> None:
    assert config.name is not None
    try:
        existing: StreamConfig | None = (await js.stream_info(config.name)).config
    except NotFoundError:
        existing = None
    if existing is not None and not misfits(existing, config):
        return
    try:
        if existing is None:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
    except NatsTimeoutError:
        # Refused (no permission: the server drops the request) or lost in a cluster race: look again.
        try:
            now = (await js.stream_info(config.name)).config
        except NotFoundError:
            raise StreamsNotDeclared(_advice(config.name, ["missing"])) from None
        if misfits(now, config):
            raise StreamsNotDeclared(_advice(config.name, misfits(now, config))) from None


def _advice(name: str | None, problems: list[str]) -> str:
    return (
        f"stream {name}: {', '.join(problems)}; this NATS user may not declare streams: "
        "run `hallobot streams` with the admin credential (deploy/README.md)"
    )


def misfits(existing: StreamConfig, declared: StreamConfig) -> list[str]:
    """What differs between a stream as it is and as it is declared (empty: it fits)."""
    problems = []
    for field in ("retention", "storage", "discard", "num_replicas"):
        if getattr(existing, field) != getattr(declared, field):
            problems.append(f"{field} is {getattr(existing, field)}, not {getattr(declared, field)}")
    if sorted(existing.subjects or []) != sorted(declared.subjects or []):
        problems.append(f"subjects are {existing.subjects}, not {declared.subjects}")
    for field in ("max_age", "duplicate_window"):
        if abs((getattr(existing, field) or 0) - (getattr(declared, field) or 0)) > 1e-3:
            problems.append(f"{field} is {getattr(existing, field)}, not {getattr(declared, field)}")
    if bool(existing.allow_msg_ttl) != bool(declared.allow_msg_ttl):
        problems.append("per-message TTL is not allowed" if declared.allow_msg_ttl else "per-message TTL is allowed")
    # What nobody declares and an intruder would add: limits that drop messages, copies elsewhere.
    for field in ("max_msgs", "max_bytes", "max_msgs_per_subject", "max_msg_size"):
        if (getattr(existing, field) or -1) not in (-1, 0):
            problems.append(f"{field} is limited to {getattr(existing, field)}")
    if existing.republish is not None:
        problems.append(f"it republishes to {existing.republish.dest}")
    if existing.sources or existing.mirror or existing.sealed:
        problems.append("it has sources, a mirror or is sealed")
    return problems
