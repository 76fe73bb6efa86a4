"""Contract checks from outside: the whole system as processes (tests/support/system.py, shared with the
fuzz and fault tests), read and parsed with other people's clients (the CloudEvents SDK, nats-py, the
OpenAPI and AsyncAPI validators), never with HalloBot's own models."""

from __future__ import annotations

import pytest

from tests.support.system import shared_system


@pytest.fixture(scope="session")
def contract_system(tmp_path_factory, pytestconfig):
    return shared_system(tmp_path_factory, pytestconfig)
