"""deploy/'s Kubernetes manifests checked against the code: commands, settings, probes, limits, replicas."""

from __future__ import annotations

import re

import yaml

from shared.config import SERVICES
from tests.deploy import compose
from tests.deploy.test_compose_file import settings_env_names

K8S = compose.DEPLOY / "k8s"


def documents(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def deployments() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in documents("services.yaml") if doc["kind"] == "Deployment"}


def test_every_service_runs_several_replicas_with_probes_limits_and_no_root():
    found = deployments()
    assert set(found) == set(SERVICES)
    for name, deployment in found.items():
        spec = deployment["spec"]
        assert spec["replicas"] > 1, name
        pod = spec["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
        [container] = pod["containers"]
        assert container["command"][:3] == ["hallobot", "serve", name]
        port = int(container["command"][container["command"].index("--port") + 1])
        assert container["ports"][0]["containerPort"] == port
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])


def test_service_environment_names_are_the_ones_the_settings_read():
    config = next(doc for doc in documents("config.yaml") if doc["kind"] == "ConfigMap")["data"]
    assert config["HALLOBOT_STREAM_REPLICAS"] == "3"
    for name, deployment in deployments().items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        names = set(config) | {item["name"] for item in container["env"]}
        assert not names - settings_env_names(name), f"{name}: {sorted(names - settings_env_names(name))}"
        assert {"NATS_URL", f"{name.upper()}_DATABASE_URL", "HALLOBOT_OPERATOR_TOKEN"} <= names


def test_the_nats_cluster_runs_three_nodes_from_deploys_cluster_config():
    [statefulset] = [doc for doc in documents("nats.yaml") if doc["kind"] == "StatefulSet"]
    assert statefulset["spec"]["replicas"] == 3 and statefulset["spec"]["ordinals"]["start"] == 1
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][-1] == "/etc/nats/cluster.conf"
    # cluster.conf routes to nats-1..3: one Service per pod gives those names
    services = {doc["metadata"]["name"] for doc in documents("nats.yaml") if doc["kind"] == "Service"}
    assert {"nats", "nats-1", "nats-2", "nats-3"} <= services
    kustomization = yaml.safe_load((compose.DEPLOY / "kustomization.yaml").read_text())
    files = kustomization["configMapGenerator"][0]["files"]
    assert all((compose.DEPLOY / path).is_file() for path in files)
    assert set(kustomization["resources"]) == {f"k8s/{p.name}" for p in K8S.glob("*.yaml") if "example" not in p.name}
    # the passwords the Secret provides are the ones the config reads
    secret = next(doc for doc in documents("secret.example.yaml") if doc["metadata"]["name"] == "nats-passwords")
    assert set(secret["stringData"]) == set(compose.environment(compose.raw()["services"]["nats"]))


# --------------------------------------------------------------------------- the front door


def caddyfile_routes() -> dict[str, tuple[str, bool]]:
    """deploy/Caddyfile's routes: path prefix -> (service, prefix stripped). Reads what the file uses:
    `handle_path /api/<x>/* {…}`, `@name path /a /a/* …` with `handle @name {…}`, and the bare `handle {…}`;
    the service is named by the `{$<SERVICE>_UPSTREAM:…}` of the block's reverse_proxy."""
    matchers: dict[str, list[str]] = {}
    routes: dict[str, tuple[str, bool]] = {}
    current: tuple[list[str], bool] | None = None
    for line in (compose.DEPLOY / "Caddyfile").read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0].startswith("@") and words[1] == "path":
            matchers[words[0]] = sorted({path.removesuffix("/*") for path in words[2:]})
        elif words[0] == "handle_path":
            current = ([words[1].removesuffix("*")], True)
        elif words[0] == "handle":
            current = (matchers[words[1]] if words[1].startswith("@") else ["/"], False)
        elif words[0] == "reverse_proxy" and current:
            match = re.fullmatch(r"\{\$([A-Z]+)_UPSTREAM:[^}]+\}", words[1])
            assert match, line
            for prefix in current[0]:
                routes[prefix] = (match[1].lower(), current[1])
            current = None
    return routes


def ingress_routes() -> dict[str, tuple[str, bool]]:
    """deploy/k8s/ingress.yaml's routes in the same form: a Prefix path as it is; a regex path of the
    API Ingress as /api/<service>/ when it strips exactly that prefix (checked on a sample path)."""
    routes: dict[str, tuple[str, bool]] = {}
    for ingress in documents("ingress.yaml"):
        assert ingress["kind"] == "Ingress" and ingress["spec"]["ingressClassName"] == "nginx"
        rewrite = ingress["metadata"].get("annotations", {}).get("nginx.ingress.kubernetes.io/rewrite-target")
        [rule] = ingress["spec"]["rules"]
        for entry in rule["http"]["paths"]:
            service = entry["backend"]["service"]
            assert service["port"] == {"name": "http"}
            if entry["pathType"] == "Prefix":
                assert rewrite is None, "pages go to their service unchanged"
                routes[entry["path"]] = (service["name"], False)
                continue
            assert entry["pathType"] == "ImplementationSpecific" and rewrite == "/$2"
            prefix = entry["path"].split("(")[0] + "/"
            sample = re.fullmatch(entry["path"], prefix + "businesses/1")
            assert sample and "/" + sample[2] == "/businesses/1", entry["path"]
            routes[prefix] = (service["name"], True)
    return routes


def test_the_ingress_routes_every_path_of_the_caddyfile_to_the_same_service():
    caddy, ingress = caddyfile_routes(), ingress_routes()
    assert len(caddy) >= 9, caddy  # four APIs, /verzeichnis, /fairtrade, /veranstaltungen, /wlan, /
    assert {f"/api/{name}/" for name in SERVICES} <= set(caddy)
    assert ingress == caddy


def test_the_ingress_reaches_the_services_by_their_kubernetes_services():
    ports = {
        doc["metadata"]["name"]: {port["name"] for port in doc["spec"]["ports"]}
        for doc in documents("services.yaml")
        if doc["kind"] == "Service"
    }
    backends = {service for service, _ in ingress_routes().values()}
    assert backends == set(SERVICES)
    assert all("http" in ports[name] for name in backends)
    hosts = {rule["host"] for doc in documents("ingress.yaml") for rule in doc["spec"]["rules"]}
    [host] = hosts
    tls = {tuple(entry["hosts"]) for doc in documents("ingress.yaml") for entry in doc["spec"]["tls"]}
    assert tls == {(host,)}
    config = next(doc for doc in documents("config.yaml") if doc["kind"] == "ConfigMap")["data"]
    assert config["HALLOBOT_SITE_URL"] == f"https://{host}", "links point at the Ingress's host"
    assert config["HALLOBOT_TRUSTED_PROXIES"], "the ingress controller's X-Forwarded-For names the client"
