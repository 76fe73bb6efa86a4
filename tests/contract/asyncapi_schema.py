"""The official AsyncAPI 3.0.0 JSON Schema, from the AsyncAPI Initiative's own npm package
`@asyncapi/specs` (no PyPI package ships it), installed with npm into a cache folder on first use.

The package's `schemas/3.0.0-without-$id.json` is the same schema with its definitions referenced
locally, which any draft-07 validator resolves without network access.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

PACKAGE = "@asyncapi/specs"
VERSION = "6.11.1"  # AsyncAPI 3.0.0 is final: a newer package version ships the same 3.0.0 schema
SCHEMA = "schemas/3.0.0-without-$id.json"


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "hallobot-tests" / f"asyncapi-specs-{VERSION}"


def official_schema() -> dict:
    folder = cache_dir()
    path = folder / "node_modules" / PACKAGE / SCHEMA
    if not path.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed once to fetch the official AsyncAPI schema (Debian: apt-get install npm)"
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(folder), "--no-save", "--no-audit", "--no-fund", f"{PACKAGE}@{VERSION}"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return json.loads(path.read_text())
