"""What every service shares around its own routes and consumers: lifespan, probes, metrics, docs.

Start-up order: migrate the database, connect the broker, declare streams, start the outbox relay,
start the consumers. Shutdown runs it backwards and lets in-flight work finish (graceful_timeout).

Modules: `definition` (what a service is), `runtime` (its live parts), `probes` (route dependencies
and the operational endpoints), `app` (`build_app`).
"""

from shared.service.app import build_app
from shared.service.definition import ServiceDefinition
from shared.service.probes import ReadingDep, RuntimeDep, TransactionDep, get_runtime, reading, transaction
from shared.service.runtime import Runtime, StartupFailed

__all__ = [
    "ReadingDep",
    "Runtime",
    "RuntimeDep",
    "ServiceDefinition",
    "StartupFailed",
    "TransactionDep",
    "build_app",
    "get_runtime",
    "reading",
    "transaction",
]
