"""The official CloudEvents JavaScript SDK (npm `cloudevents`), the client the city's Node systems use:
installed with npm into a cache folder on first use, run with node on one HTTP request at a time.

It is stricter than the Python SDK: a structured-mode event must come as
`application/cloudevents+json`, else it answers "no cloud event detected"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

from tests.support.npm import installed

PACKAGE, VERSION = "cloudevents", "10.0.0"

PARSE = """
const { HTTP } = require("cloudevents");
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { headers, body } = JSON.parse(input);
  try {
    const event = HTTP.toEvent({ headers, body });
    console.log(JSON.stringify({ ok: true, id: event.id, type: event.type, data: event.data }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: String((error && error.message) || error) }));
  }
});
"""


def parse_with_javascript_sdk(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """What a Node receiver's `HTTP.toEvent({headers, body})` makes of one request: `{"ok": True, "id",
    "type", "data"}` or `{"ok": False, "error"}`."""
    node = shutil.which("node")
    assert node, "node is needed to run the CloudEvents JavaScript SDK (Debian: apt-get install nodejs)"
    answer = subprocess.run(
        [node, "-e", PARSE],
        input=json.dumps({"headers": headers, "body": body.decode()}),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NODE_PATH": str(installed(PACKAGE, VERSION))},
        check=True,
    )
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result
