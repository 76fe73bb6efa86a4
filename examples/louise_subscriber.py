"""Louise, the city logistics project: keep a local list of the shops' delivery and pickup offers in
sync with HalloBot, from the `directory.offer.*` events alone (no HTTP calls back).

A city system like this one connects as the read-only NATS user `city` (account CITY,
deploy/nats/accounts.conf) and reads CITY's mirror of the DIRECTORY stream through a durable pull
consumer of its own. The list is a JSON file keyed by business id; beside the offers it keeps the
stream sequence of the last event it applied. So:

- applying is idempotent: an event at or below that sequence (a redelivery) changes nothing;
- a restart goes on where it stopped (the durable consumer remembers what was acknowledged, and a
  message is acknowledged only after the list that contains it is saved);
- a lost or older list (deleted, restored from a backup) is noticed at start: the consumer has
  acknowledged further than the list knows, so it is made again from the sequence after the list's,
  or from the start of the stream (deliver policy all) when there is no list at all. The stream
  keeps directory events for ever, so the replay gives the same list.

Run it (deploy/'s NATS has TLS; the city password is CITY_NATS_PASSWORD of .env):

    python examples/louise_subscriber.py --url tls://nats.example:4222 --ca-file ca.pem \\
        --password "$CITY_NATS_PASSWORD" --offers offers.json

It runs until SIGTERM or Ctrl-C (`--until-idle`: until nothing is pending, e.g. from cron). It needs
only nats-py; it imports nothing of HalloBot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import ssl
import sys
import tempfile
from pathlib import Path
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

STREAM = "DIRECTORY"  # CITY's mirror keeps the origin's subjects and sequence numbers
SUBJECT = "hallobot.directory.offer.>"
TYPE_PREFIX = "de.bottrop.hallobot.directory.offer."
log = logging.getLogger("louise")


class OfferList:
    """The local list: `{"last_sequence": n, "offers": {business id: {...}}}` in one JSON file,
    replaced whole on each save (a crash leaves the old file or the new one, never half of one)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_sequence = 0
        self.offers: dict[str, dict[str, Any]] = {}
        if path.exists():
            stored = json.loads(path.read_text(encoding="utf-8"))
            self.last_sequence = int(stored["last_sequence"])
            self.offers = stored["offers"]

    def apply(self, sequence: int, event: dict[str, Any]) -> bool:
        """One CloudEvent at its stream sequence; False when it was applied before (or is not an offer)."""
        if sequence <= self.last_sequence:
            return False
        self.last_sequence = sequence
        action = str(event.get("type", "")).removeprefix(TYPE_PREFIX)
        data = event.get("data") or {}
        business_id = data.get("business_id")
        if not business_id:
            return False
        if action in ("published", "updated"):
            self.offers[business_id] = {
                "business_id": business_id,
                "name": data["name"],
                "category": data["category"],
                "offer": data["offer"],
                "since": event.get("time"),
            }
        elif action == "withdrawn":
            self.offers.pop(business_id, None)
        else:
            return False  # a later version's new action: skipped, not guessed at
        return True

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"last_sequence": self.last_sequence, "offers": dict(sorted(self.offers.items()))}
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(document, file, ensure_ascii=False, indent=1)
        os.replace(temporary, self.path)


async def consumer_for(js: JetStreamContext, durable: str, offers: OfferList) -> JetStreamContext.PullSubscription:
    """The durable consumer, made again to start after the list's last sequence when it has
    acknowledged further than the list knows (the list was lost or is older)."""
    start = offers.last_sequence + 1
    try:
        info = await js.consumer_info(STREAM, durable)
        if info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= start:
            log.info("the list knows up to %d, the consumer acked %d: replaying", start - 1, info.ack_floor.stream_seq)
            await js.delete_consumer(STREAM, durable)
    except NotFoundError:
        pass
    config = ConsumerConfig(
        durable_name=durable,
        filter_subject=SUBJECT,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=30,
        deliver_policy=DeliverPolicy.ALL if start == 1 else DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=None if start == 1 else start,
    )
    return await js.pull_subscribe(SUBJECT, durable=durable, stream=STREAM, config=config)


async def run(args: argparse.Namespace, stop: asyncio.Event) -> OfferList:
    tls = ssl.create_default_context(cafile=args.ca_file) if args.ca_file else None
    nc = await nats.connect(args.url, user=args.user, password=args.password, tls=tls, name="louise")
    try:
        js = nc.jetstream(timeout=10)
        offers = OfferList(Path(args.offers))
        subscription = await consumer_for(js, args.durable, offers)
        while not stop.is_set():
            try:
                messages: list[Msg] = await subscription.fetch(args.batch, timeout=1)
            except TimeoutError:  # nats-py raises its own subclass, or asyncio's (the built-in) itself
                if args.until_idle and (await subscription.consumer_info()).num_pending == 0:
                    break
                continue
            changed = [offers.apply(msg.metadata.sequence.stream, json.loads(msg.data)) for msg in messages]
            offers.save()  # before the acks: an acknowledged event is always in the saved list
            for msg in messages:
                await msg.ack()
            log.info("%d events, %d applied, %d offers", len(messages), sum(changed), len(offers.offers))
        return offers
    finally:
        await nc.close()


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=env("LOUISE_NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--user", default=env("LOUISE_NATS_USER", "city"))
    parser.add_argument("--password", default=env("LOUISE_NATS_PASSWORD", env("CITY_NATS_PASSWORD")))
    parser.add_argument("--ca-file", default=env("LOUISE_NATS_CA_FILE"), help="CA of a TLS server (deploy/)")
    parser.add_argument("--offers", default=env("LOUISE_OFFERS_FILE", "louise-offers.json"), help="the local list")
    parser.add_argument("--durable", default=env("LOUISE_CONSUMER", "louise-offers"), help="the consumer's name")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--until-idle", action="store_true", help="stop once nothing is pending")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s louise %(message)s")
    args = arguments(argv)

    async def running() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        offers = await run(args, stop)
        print(json.dumps({"offers": len(offers.offers), "last_sequence": offers.last_sequence}), flush=True)

    asyncio.run(running())


if __name__ == "__main__":
    sys.exit(main())
