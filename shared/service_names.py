"""The four services' names and default ports, in a module of their own: `hallobot up` starts the
services but reads none of their settings, and so never loads pydantic (bench/README.md, "Start-up
and memory")."""

from __future__ import annotations

SERVICES = ("directory", "events", "wifi", "notifications")
DEFAULT_PORTS = {"directory": 8001, "events": 8002, "wifi": 8003, "notifications": 8004}
