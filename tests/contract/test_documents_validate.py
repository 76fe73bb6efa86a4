"""The OpenAPI and AsyncAPI documents that the running services serve are valid by the validators other
people use: `openapi-spec-validator`, and the AsyncAPI Initiative's official 3.0.0 JSON Schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft7Validator
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from shared.config import SERVICES
from tests.contract.asyncapi_schema import official_schema

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def asyncapi_validator() -> Draft7Validator:
    schema = official_schema()
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def served(system, service: str, path: str) -> dict:
    answer = httpx.get(system.url(service) + path, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("service", SERVICES)
def test_the_served_openapi_document_is_valid_openapi(contract_system, service):
    document = served(contract_system, service, "/openapi.json")
    assert document["openapi"].startswith("3.")
    validate_openapi(document)


@pytest.mark.parametrize("service", SERVICES)
def test_the_served_asyncapi_document_is_valid_by_the_official_asyncapi_3_schema(
    contract_system, asyncapi_validator, service
):
    document = served(contract_system, service, "/asyncapi.json")
    assert document["asyncapi"] == "3.0.0"
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in asyncapi_validator.iter_errors(document)]
    assert not errors, "\n".join(errors[:10])


@pytest.mark.parametrize("kind", ["openapi", "asyncapi"])
def test_the_committed_documents_are_valid_too(asyncapi_validator, kind):
    for path in sorted((DOCS / kind).glob("*.json")):
        document = json.loads(path.read_text())
        if kind == "openapi":
            validate_openapi(document)
        else:
            assert not list(asyncapi_validator.iter_errors(document)), path.name


def test_the_validators_do_reject_a_broken_document(asyncapi_validator):
    """The checks above have teeth: one wrong field in a real document is found by each validator."""
    asyncapi = json.loads((DOCS / "asyncapi" / "wifi.json").read_text())
    broken = copy.deepcopy(asyncapi)
    next(iter(broken["operations"].values()))["action"] = "publish"  # AsyncAPI 2 wording, not 3
    assert list(asyncapi_validator.iter_errors(broken))
    openapi = json.loads((DOCS / "openapi" / "wifi.json").read_text())
    next(iter(openapi["paths"].values()))["get"]["parameters"] = [{"name": "id", "in": "body"}]  # no such place
    with pytest.raises(OpenAPIValidationError):
        validate_openapi(openapi)
