"""deploy/'s Kubernetes manifests for the tests: reading them, building the kustomization with kubectl,
validating documents against the Kubernetes JSON schemas kept in k8s-schemas/ (no network), and
evaluating NetworkPolicies the way the API defines them (for the few selector forms deploy/ uses)."""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.validators import validator_for
from referencing import Registry, Resource

from tests.deploy import compose

K8S = compose.DEPLOY / "k8s"
MINIMUM_VERSION = "1.31"
SCHEMAS = Path(__file__).parent / "k8s-schemas" / f"v{MINIMUM_VERSION}.0"
NAMESPACE = "hallobot"


def documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def every_manifest() -> dict[str, list[dict[str, Any]]]:
    return {path.name: documents(path.name) for path in sorted(K8S.glob("*.yaml"))}


def kustomize_build() -> list[dict[str, Any]]:
    """What `kubectl apply -k deploy/` would send: `kubectl kustomize deploy/` (offline)."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with its built-in kustomize) is needed to build deploy/kustomization.yaml"
    built = subprocess.run([kubectl, "kustomize", str(compose.DEPLOY)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


class NoSchema(LookupError):
    """A kind or API version the kept schemas do not have (a kind not in Kubernetes 1.31, or a typo)."""


@cache
def _registry() -> Registry:
    definitions = json.loads((SCHEMAS / "_definitions.json").read_text())
    return Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))


def schema_file(doc: dict[str, Any]) -> Path:
    """kubernetes-json-schema's file name: <kind>-<group's first word>-<version>.json, <kind>-<version>.json
    for the core group."""
    group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
    parts = [str(doc.get("kind", "")).lower(), *([group.split(".")[0]] if group else []), version]
    path = SCHEMAS / f"{'-'.join(parts)}.json"
    if not path.is_file():
        raise NoSchema(f"no Kubernetes {MINIMUM_VERSION} schema for {doc.get('apiVersion')} {doc.get('kind')}")
    return path


def schema_errors(doc: dict[str, Any]) -> list[str]:
    """Where `doc` breaks its kind's strict schema (unknown fields, wrong types, missing required
    fields, values outside an enum), one line each; empty when it is valid."""
    schema = json.loads(schema_file(doc).read_text())
    validator = validator_for(schema)(schema, registry=_registry())
    return [
        f"{doc['kind']}/{doc.get('metadata', {}).get('name')}: {'.'.join(map(str, error.absolute_path))}: "
        f"{error.message[:300]}"
        for error in validator.iter_errors(doc)
    ]


# --------------------------------------------------------------------------- pods and policies


@dataclass(frozen=True)
class Pod:
    """A pod of deploy/ (from a Deployment's, StatefulSet's or Job's template), or a peer elsewhere."""

    labels: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)  # container port name -> number
    namespace: dict[str, str] = field(default_factory=lambda: {"kubernetes.io/metadata.name": NAMESPACE})


@dataclass(frozen=True)
class Outside:
    """A client outside the cluster (a hotspot host, a city system) at an address."""

    address: str


Peer = Pod | Outside


def pods() -> dict[str, Pod]:
    found: dict[str, Pod] = {}
    for docs in every_manifest().values():
        for doc in docs:
            if doc["kind"] in {"Deployment", "StatefulSet", "Job"}:
                template = doc["spec"]["template"]
                ports = {
                    port["name"]: port["containerPort"]
                    for container in template["spec"]["containers"]
                    for port in container.get("ports", [])
                    if "name" in port
                }
                found[doc["metadata"]["name"]] = Pod(template["metadata"]["labels"], ports)
    return found


@cache
def _policies() -> tuple[dict[str, Any], ...]:
    return tuple(doc for docs in every_manifest().values() for doc in docs if doc["kind"] == "NetworkPolicy")


def network_policies() -> list[dict[str, Any]]:
    return list(_policies())


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "deploy/'s policies select by matchLabels only"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def _peer_matches(entry: dict[str, Any], peer: Peer) -> bool:
    if "ipBlock" in entry:  # addresses outside the cluster (pod addresses are the plugin's affair)
        if not isinstance(peer, Outside):
            return False
        address = ipaddress.ip_address(peer.address)
        block = entry["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(cidr) for cidr in block.get("except", [])
        )
    if not isinstance(peer, Pod):
        return False
    if "namespaceSelector" in entry:
        in_namespace = _selects(entry["namespaceSelector"], peer.namespace)
    else:  # a podSelector alone means this namespace
        in_namespace = peer.namespace.get("kubernetes.io/metadata.name") == NAMESPACE
    return in_namespace and _selects(entry.get("podSelector", {}), peer.labels)


def _port_matches(rule: dict[str, Any], port: int, protocol: str, named: dict[str, int]) -> bool:
    if not rule.get("ports"):
        return True
    for entry in rule["ports"]:
        wanted = entry.get("port")
        number = named.get(wanted) if isinstance(wanted, str) else wanted
        if entry.get("protocol", "TCP") == protocol and (wanted is None or number == port):
            return True
    return False


def admits(target: Pod, source: Peer, port: int, protocol: str = "TCP") -> bool:
    """Would the namespace's policies let `source` connect to `target` on `port` (ingress side)?"""
    policies = [
        p
        for p in network_policies()
        if "Ingress" in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], target.labels)
    ]
    if not policies:
        return True
    return any(
        (not rule.get("from") or any(_peer_matches(entry, source) for entry in rule["from"]))
        and _port_matches(rule, port, protocol, target.ports)
        for policy in policies
        for rule in policy["spec"].get("ingress", [])
    )


def lets_out(source: Pod, destination: Peer, port: int, protocol: str = "TCP") -> bool:
    """Would the namespace's policies let `source` connect to `destination` on `port` (egress side)?"""
    policies = [
        p
        for p in network_policies()
        if "Egress" in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], source.labels)
    ]
    if not policies:
        return True
    named = destination.ports if isinstance(destination, Pod) else {}
    return any(
        (not rule.get("to") or any(_peer_matches(entry, destination) for entry in rule["to"]))
        and _port_matches(rule, port, protocol, named)
        for policy in policies
        for rule in policy["spec"].get("egress", [])
    )
