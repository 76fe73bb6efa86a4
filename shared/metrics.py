"""Prometheus metrics shared by all services (served on the internal port's /metrics, see
shared/service/internal.py)."""

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

# HTTP, labelled by route template (`/events/{event_id}`, never the raw path; `unmatched` when no
# route matched) and status class (2xx … 5xx), so that the label set stays small.
HTTP_REQUESTS = Counter(
    "hallobot_http_requests_total",
    "HTTP requests answered, by route template and status class",
    ["service", "route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "hallobot_http_request_seconds",
    "Time from a request's arrival to the end of its answer (a feed stream: its whole life)",
    ["service", "route", "method"],
)
