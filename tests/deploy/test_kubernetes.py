"""deploy/'s Kubernetes manifests checked against the code: commands, settings, probes, limits, replicas."""

from __future__ import annotations

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
