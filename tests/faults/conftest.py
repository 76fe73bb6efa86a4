"""The whole system as processes (tests/support/system.py), shared with the fuzz tests: start-up costs
tens of seconds on two cores. Each test counts only what carries its own ids, and finds every part
running again at its start, whatever the test before it killed."""

from __future__ import annotations

import pytest

from tests.support.system import shared_system


@pytest.fixture
def system(tmp_path_factory, pytestconfig):
    return shared_system(tmp_path_factory, pytestconfig)
