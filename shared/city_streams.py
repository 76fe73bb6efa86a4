"""The city systems' copies of the public streams, in the NATS account CITY (deploy/nats/accounts.conf).

City systems read through consumers of their own on these mirrors and so can never touch a
consumer of HalloBot's services. Each mirror reads its HALLOBOT stream through the JetStream API
that HALLOBOT exports to CITY (imported there under `CITY_API_PREFIX`), and the mirrored messages
arrive on `hallobot.city.deliver.<stream>`. A mirror keeps the origin's subjects and sequence
numbers. Declared by `hallobot streams` with the CITY admin credential; mirrors cannot be changed
once made, so an existing one is left as it is."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, ExternalStream, RetentionPolicy, StorageType, StreamConfig, StreamSource
from nats.js.errors import NotFoundError

from shared.streams import STREAMS_BY_NAME

PUBLIC_STREAMS = ("DIRECTORY", "EVENTS", "WIFI", "FAIRTRADE", "NOTIFICATIONS")
CITY_API_PREFIX = "$JS.HALLOBOT.API"


def deliver_subject(stream: str) -> str:
    return f"hallobot.city.deliver.{stream.lower()}"


def mirror_config(stream: str, replicas: int = 1) -> StreamConfig:
    spec = STREAMS_BY_NAME[stream]
    return StreamConfig(
        name=stream,
        description=f"CITY's mirror of HALLOBOT's {stream}: {spec.description}",
        mirror=StreamSource(name=stream, external=ExternalStream(api=CITY_API_PREFIX, deliver=deliver_subject(stream))),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=spec.max_age_s or 0,
        num_replicas=replicas,
        allow_direct=True,
    )


async def ensure_city_mirrors(js: JetStreamContext, replicas: int = 1) -> list[str]:
    """Create the mirrors that are missing; the names of those created."""
    created = []
    for stream in PUBLIC_STREAMS:
        try:
            await js.stream_info(stream)
        except NotFoundError:
            await js.add_stream(mirror_config(stream, replicas))
            created.append(stream)
    return created
