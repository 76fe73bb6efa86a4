"""Schemathesis against every service's OpenAPI document, over real HTTP to `hallobot serve`, with all
of its checks: no 5xx, every response as the document promises (status code, content type, headers,
body schema), data the document forbids is refused, data it allows is accepted, unsupported methods
and missing headers answered properly. Generation is at its widest: valid and invalid data, the
coverage phase's boundary values (the largest integers, numbers just outside their bounds, dates at
the ends of the calendar), every Unicode code point UTF-8 can carry and NUL. Each operation is fuzzed
as the public and as the operator would call it.

The documents are built from the same code the processes run (`create_app().openapi()`, as
`hallobot docs` does) so that pytest can collect one test per operation before anything runs;
`test_each_service_serves_the_document_we_fuzz` proves it is the one each process serves.
(schemathesis' lazy `from_fixture` loader does not work with pytest 9.)
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from hallobot.services import create_app, settings_for
from shared.config import SERVICES
from tests.support.system import OPERATOR

# Per operation and role (2 × ~65 operations) in the fuzzing phase; coverage adds its own. 4, not 6:
# the full run was at 19.5 min on two cores.
EXAMPLES = 4

CONFIG = SchemathesisConfig.from_dict(
    {
        # Credentials are the test's (public or operator), not generated: see the auth checks below.
        "generation": {"mode": "all", "allow-x00": True, "codec": "utf-8", "with-security-parameters": False},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
        # Data the document allows can still break a rule it cannot express: an end before its start,
        # a name of blanks only, a control or bidi character (shared/inputs.py), a NUL in a query
        # (the guard's 400). A 400 or 422 that names the field is the right answer there, not a failure.
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]
            },
            # Some URLs fit two path templates (`/events/series` and `/events/{event_id}`): a 405's
            # `Allow` names every method the URL is served with, as HTTP defines it (shared/http.py),
            # which cannot match both templates' lists at once. The 405 itself is checked
            # (unsupported_method).
            "allow_header_conformance": {"enabled": False},
        },
    }
)

PUBLIC = {"X-Forwarded-For": "192.0.2.7"}  # the directory trusts it here: fuzzing is one client
AS_OPERATOR = {**PUBLIC, **OPERATOR}


def document(service: str) -> dict:
    app = create_app(service, settings_for(service))
    return app.openapi()


DOCUMENTS = {service: document(service) for service in SERVICES}


def schema(service: str):
    loaded = schemathesis.openapi.from_dict(DOCUMENTS[service], config=CONFIG)
    # /feed is Server-Sent Events: a response that never ends, by design; it has its own tests.
    return loaded.exclude(path="/feed") if service == "notifications" else loaded


fuzz = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
directory, events, wifi, notifications = (schema(s) for s in ("directory", "events", "wifi", "notifications"))


def call(case, system, service: str, headers: dict) -> None:
    # No `checks=`: every check schemathesis has, as configured above.
    case.call_and_validate(base_url=system.url(service), headers=headers, timeout=30)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_serves_the_document_we_fuzz(fuzz_system, service):
    served = httpx.get(f"{fuzz_system.url(service)}/openapi.json", timeout=30).json()
    assert served == DOCUMENTS[service]


@directory.parametrize()
@fuzz
def test_directory_api_as_the_public(case, fuzz_system):
    call(case, fuzz_system, "directory", PUBLIC)


@directory.parametrize()
@fuzz
def test_directory_api_as_the_operator(case, fuzz_system):
    call(case, fuzz_system, "directory", AS_OPERATOR)


@events.parametrize()
@fuzz
def test_events_api_as_the_public(case, fuzz_system):
    call(case, fuzz_system, "events", PUBLIC)


@events.parametrize()
@fuzz
def test_events_api_as_the_operator(case, fuzz_system):
    call(case, fuzz_system, "events", AS_OPERATOR)


@wifi.parametrize()
@fuzz
def test_wifi_api_as_the_public(case, fuzz_system):
    call(case, fuzz_system, "wifi", PUBLIC)


@wifi.parametrize()
@fuzz
def test_wifi_api_as_the_operator(case, fuzz_system):
    call(case, fuzz_system, "wifi", AS_OPERATOR)


@notifications.parametrize()
@fuzz
def test_notifications_api_as_the_public(case, fuzz_system):
    call(case, fuzz_system, "notifications", PUBLIC)


@notifications.parametrize()
@fuzz
def test_notifications_api_as_the_operator(case, fuzz_system):
    call(case, fuzz_system, "notifications", AS_OPERATOR)
