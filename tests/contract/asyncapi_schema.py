"""The official AsyncAPI 3.0.0 JSON Schema, from the AsyncAPI Initiative's own npm package
`@asyncapi/specs` (no PyPI package ships it), installed with npm into a cache folder on first use.

The package's `schemas/3.0.0-without-$id.json` is the same schema with its definitions referenced
locally, which any draft-07 validator resolves without network access.
"""

from __future__ import annotations

import json

from tests.support.npm import installed

PACKAGE = "@asyncapi/specs"
VERSION = "6.11.1"  # AsyncAPI 3.0.0 is final: a newer package version ships the same 3.0.0 schema
SCHEMA = "schemas/3.0.0-without-$id.json"


def official_schema() -> dict:
    return json.loads((installed(PACKAGE, VERSION) / PACKAGE / SCHEMA).read_text())
