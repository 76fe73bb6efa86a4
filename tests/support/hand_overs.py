"""What a test hands to SQLite's connection thread (shared/sqlite_connection.py): the names of the
functions `OneHopConnection` runs there, in order, one per hand-over."""

from __future__ import annotations

from typing import Any

import pytest

from shared.sqlite_connection import OneHopConnection


def record_hand_overs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = OneHopConnection._execute

    async def counting(self: OneHopConnection, function: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(function, "__name__", repr(function)))
        return await original(self, function, *args, **kwargs)

    monkeypatch.setattr(OneHopConnection, "_execute", counting)
    return calls
