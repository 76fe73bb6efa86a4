"""The four services as real processes (tests/support/system.py, shared with the fault tests), fuzzed
over real HTTP."""

from __future__ import annotations

import pytest

from tests.support.system import shared_system


@pytest.fixture(scope="session")
def fuzz_system(tmp_path_factory, pytestconfig):
    return shared_system(tmp_path_factory, pytestconfig)
