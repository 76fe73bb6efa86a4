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
OUTBOX_PENDING = Gauge(
    "hallobot_outbox_pending", "Outbox rows left unpublished by the relay's last round (at most a batch)", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "hallobot_outbox_oldest_pending_age_seconds",
    "Age of the oldest outbox row not yet published when the relay last looked (0: none waits)",
    ["service"],
)

CONSUMED = Counter("hallobot_consumer_messages_total", "Messages handled", ["consumer", "outcome"])
HANDLER_SECONDS = Histogram("hallobot_consumer_batch_seconds", "Time to handle one batch", ["consumer"])
DEAD_LETTERS = Counter("hallobot_dead_letters_total", "Messages sent to the DLQ stream", ["consumer", "reason"])
# Consumer lag per durable: from each fetched batch's metadata, and from the consumer's info every
# HALLOBOT_CONSUMER_LAG_INTERVAL_S (also when idle or stuck in a batch).
CONSUMER_PENDING = Gauge(
    "hallobot_consumer_pending_messages",
    "Messages on the stream that the durable consumer has not been handed yet (num_pending)",
    ["service", "consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "hallobot_consumer_ack_pending_messages",
    "Messages handed to the durable consumer and not yet acknowledged (num_ack_pending)",
    ["service", "consumer"],
)

# Mail and webhook outcomes (notifications): `sent` accepted by the SMTP server or the endpoint;
# `failed` a try that did not go through, followed by `retried` (another try is scheduled) or `dead`
# (given up: last try, refused for good, endpoint disabled; visible on /verwaltung/zustellungen).
DELIVERIES = Counter("hallobot_deliveries_total", "Mail and webhook delivery outcomes", ["channel", "outcome"])

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
