"""How every HalloBot process connects to NATS: its inbox prefix and, for tls:// URLs, the CA."""

from __future__ import annotations

import ssl
from typing import Any

from shared.config import Settings


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """A context trusting HALLOBOT_NATS_CA_FILE; None leaves nats-py to the system's CAs (tls:// URLs)."""
    if settings.nats_ca_file is None:
        return None
    return ssl.create_default_context(cafile=str(settings.nats_ca_file))


def connect_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `nats.connect`."""
    options: dict[str, Any] = {"inbox_prefix": settings.nats_inbox_prefix}
    context = tls_context(settings)
    if context is not None:
        options["tls"] = context
    return options
