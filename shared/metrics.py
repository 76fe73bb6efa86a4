"""Prometheus metrics shared by all services (served on /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_PUBLISHED = Counter("hallobot_outbox_published_total", "Outbox rows published to JetStream", ["service"])
OUTBOX_DUPLICATES = Counter(
    "hallobot_outbox_duplicates_total", "Re-published rows the server recognised as duplicates", ["service"]
)
OUTBOX_PUBLISH_ERRORS = Counter("hallobot_outbox_publish_errors_total", "Failed relay publish attempts", ["service"])
OUTBOX_PARKED = Counter(
    "hallobot_outbox_parked_total", "Outbox rows set aside because they can never be published", ["service"]
)
OUTBOX_PENDING = Gauge("hallobot_outbox_pending", "Outbox rows not yet published (last seen)", ["service"])

CONSUMED = Counter("hallobot_consumer_messages_total", "Messages handled", ["consumer", "outcome"])
HANDLER_SECONDS = Histogram("hallobot_consumer_batch_seconds", "Time to handle one batch", ["consumer"])
DEAD_LETTERS = Counter("hallobot_dead_letters_total", "Messages sent to the DLQ stream", ["consumer", "reason"])
