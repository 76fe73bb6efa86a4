"""Copies the Kubernetes JSON schemas that deploy/'s manifests need out of a kubernetes-validate wheel
(PyPI, Apache-2.0), with only the definitions they reach: see README.md beside this file.

    python3 -m pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv
    python3 tests/deploy/k8s-schemas/extract.py /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

VERSION = "v1.31.0"
KINDS = [
    "configmap-v1",
    "secret-v1",
    "service-v1",
    "deployment-apps-v1",
    "statefulset-apps-v1",
    "job-batch-v1",
    "poddisruptionbudget-policy-v1",
    "ingress-networking-v1",
    "networkpolicy-networking-v1",
]
PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")  # from a kind's file, within the definitions


def refs(node: object) -> set[str]:
    """Every definition name that `node` refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        found = {ref.removeprefix(PREFIXES[0]).removeprefix(PREFIXES[1])} if isinstance(ref, str) else set()
        for value in node.values():
            found |= refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(refs(value) for value in node)) if node else set()
    return set()


def main(wheel: str) -> None:
    source = f"kubernetes_validate/kubernetes-json-schema/{VERSION}-local-strict/"
    target = Path(__file__).parent / VERSION
    target.mkdir(exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        definitions = json.loads(archive.read(source + "_definitions.json"))
        wanted: set[str] = set()
        for kind in KINDS:
            text = archive.read(f"{source}{kind}.json")
            (target / f"{kind}.json").write_bytes(text)
            wanted |= refs(json.loads(text))
    kept: dict[str, object] = {}
    while wanted:
        name = wanted.pop()
        if name not in kept:
            kept[name] = definitions["$defs"][name]
            wanted |= refs(kept[name])
    definitions["$defs"] = dict(sorted(kept.items()))
    (target / "_definitions.json").write_text(json.dumps(definitions, indent=1, sort_keys=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
