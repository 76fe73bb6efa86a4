"""The OpenAPI and AsyncAPI documents in docs/ are generated from the code; `--check` finds drift."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hallobot.services import create_app, settings_for
from shared.config import SERVICES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated_documents() -> dict[Path, str]:
    documents = {}
    for service in SERVICES:
        app = create_app(service, settings_for(service, operator_token=None))
        documents[DOCS / "openapi" / f"{service}.json"] = render(app.openapi())
        documents[DOCS / "asyncapi" / f"{service}.json"] = render(app.state.definition.asyncapi())
    return documents


def drifted() -> list[Path]:
    return [path for path, text in generated_documents().items() if not path.exists() or path.read_text() != text]


def write_or_check(check: bool) -> int:
    if check:
        stale = drifted()
        for path in stale:
            print(f"out of date: {path.relative_to(DOCS.parent)} (run `hallobot docs`)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated_documents().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(DOCS.parent)}")
    return 0
