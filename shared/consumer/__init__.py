"""Idempotent JetStream consumers with bounded retries and a dead-letter stream.

Delivery policy, chosen on purpose:
- A batch of messages is handled in one database transaction; each message first claims its id in
  the inbox, so a redelivered message finds its claim and its effects are not applied again.
  The batch is acked after its commit (a crash in between: redelivered, found claimed, acked);
  on PostgreSQL the next batch is fetched while one is handled.
- When the batch transaction fails, each message is retried alone so that one bad message cannot
  hold back the others. A failing message is nak'ed with a growing delay (backoff) and redelivered;
  when it has been tried `max_deliver` times it goes to the DLQ stream with the reason, then acked.
- A message that cannot be decoded (not JSON, not a CloudEvent, payload not matching the catalog)
  or whose handler raises `PermanentError` goes to the DLQ at once: retrying cannot help it.
- The server's own max_deliver is set a little above ours as a backstop for crash loops.
- Shutdown stops fetching and lets the batch in hand finish (bounded by `graceful_timeout`).

We pull with our own `Puller` on nats-py's connection rather than through FastStream's batch
subscriber or nats-py's `fetch`: one no-wait pull request at a time, which the server ends right
after the messages it had, so a fetch returns as soon as messages are there (low latency on a quiet
stream) while still batching under load; nats-py's fetch could hold a message until a lingering
request expired (`puller`).

Modules: `delivery` (decoding a message into what a handler sees), `subscription` (what a service
subscribes to and the retry policy), `group` (the pull loops), `puller` (the fetch), `dead_letter` (the DLQ letter),
`replay` and `replay_loop` (a dead letter handled again by its own consumer, through the inbox),
`dead_letter_log` (the console's listing of the DLQ and its replay requests).
"""

from shared.consumer.delivery import (
    BatchHandler,
    Decoder,
    Delivery,
    Handler,
    MalformedMessage,
    PermanentError,
    _stream_position,
    decode_cloudevent,
    json_decoder,
    message_key,
)
from shared.consumer.group import ConsumerGroup
from shared.consumer.subscription import DeliveryPolicy, Subscription

__all__ = [
    "BatchHandler",
    "ConsumerGroup",
    "Decoder",
    "Delivery",
    "DeliveryPolicy",
    "Handler",
    "MalformedMessage",
    "PermanentError",
    "Subscription",
    "_stream_position",
    "decode_cloudevent",
    "json_decoder",
    "message_key",
]
