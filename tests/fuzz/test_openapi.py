"""Schemathesis against every service's OpenAPI document, over real HTTP to `hallobot serve`: no 5xx,
and every response conforms to what the document promises (status code, content type, headers, body
schema). Each operation is fuzzed as the public and as the operator would call it.

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

from hallobot.services import create_app, settings_for
from shared.config import SERVICES
from tests.support.system import OPERATOR

EXAMPLES = 6  # per operation and role (2 × ~65 operations): the fuzz stays near a minute on 2 cores

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]

PUBLIC = {"X-Forwarded-For": "192.0.2.7"}  # the directory trusts it here: fuzzing is one client
AS_OPERATOR = {**PUBLIC, **OPERATOR}


def document(service: str) -> dict:
    app = create_app(service, settings_for(service))
    return app.openapi()


DOCUMENTS = {service: document(service) for service in SERVICES}


def schema(service: str):
    loaded = schemathesis.openapi.from_dict(DOCUMENTS[service])
    # /feed is Server-Sent Events: a response that never ends, by design; it has its own tests.
    return loaded.exclude(path="/feed") if service == "notifications" else loaded


fuzz = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
directory, events, wifi, notifications = (schema(s) for s in ("directory", "events", "wifi", "notifications"))


def call(case, system, service: str, headers: dict) -> None:
    case.call_and_validate(base_url=system.url(service), headers=headers, checks=CHECKS, timeout=30)


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
