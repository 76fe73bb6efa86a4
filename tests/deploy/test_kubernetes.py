"""deploy/'s Kubernetes manifests checked against the code and against the Kubernetes 1.31 schemas:
commands, settings, secrets as files, probes, limits, replicas, the minimum version."""

from __future__ import annotations

import copy
import importlib
import re
import secrets
from pathlib import Path

import pytest
import yaml

from hallobot.cli import city_nats_url
from shared.config import SERVICES
from tests.deploy import compose
from tests.deploy.kubernetes import (
    K8S,
    MINIMUM_VERSION,
    SCHEMAS,
    NoSchema,
    documents,
    every_manifest,
    kustomize_build,
    schema_errors,
)
from tests.deploy.test_compose_file import SERVICE_SETTINGS, settings_env_names

SECRETS_DIR = "/run/secrets/hallobot"


def deployments() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in documents("services.yaml") if doc["kind"] == "Deployment"}


def setting_names(container: dict, known: set[str]) -> set[str]:
    """The settings a container's env sets: NAME, or NAME for NAME_FILE (shared/config.py reads the file)
    unless NAME_FILE is a setting itself (HALLOBOT_NATS_CA_FILE)."""
    return {item["name"] if item["name"] in known else item["name"].removesuffix("_FILE") for item in container["env"]}


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
        # readiness: the database only, with the details, on the internal port; liveness: the NATS
        # client closed for good; startup: the public port, which listens only after migrate and connect
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "internal"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        startup = container["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 300, "five minutes for a long migration"
        assert {p["name"]: p["containerPort"] for p in container["ports"]}["internal"] == 9000
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])


def test_service_environment_names_are_the_ones_the_settings_read():
    config = next(doc for doc in documents("config.yaml") if doc["kind"] == "ConfigMap")["data"]
    assert config["HALLOBOT_STREAM_REPLICAS"] == "3"
    for name, deployment in deployments().items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        names = set(config) | setting_names(container, settings_env_names(name))
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
    assert set(secret["stringData"]) == set(compose.nats_password_variables())


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


# --------------------------------------------------------------------------- the Kubernetes schemas


def test_every_manifest_and_what_the_kustomization_builds_is_valid_for_kubernetes_1_31():
    checked = 0
    for name, docs in every_manifest().items():
        for doc in docs:
            assert schema_errors(doc) == [], name
            checked += 1
    built = kustomize_build()
    for doc in built:
        assert schema_errors(doc) == []
    # everything the kustomization lists is in the build, the generated NATS config too
    kinds = {doc["kind"] for doc in built}
    assert {"ConfigMap", "Service", "Deployment", "StatefulSet", "Job", "PodDisruptionBudget"} <= kinds
    assert {"Ingress", "NetworkPolicy"} <= kinds
    assert all(doc["metadata"]["namespace"] == "hallobot" for doc in built)
    assert checked > len(built) - 2, "every file's documents, the example Secrets too"


def broken(mutate) -> dict:
    doc = copy.deepcopy(next(doc for doc in documents("services.yaml") if doc["kind"] == "Deployment"))
    mutate(doc)
    return doc


def test_a_manifest_with_a_misspelt_field_a_wrong_type_or_a_missing_name_fails_the_schema_check():
    def misspelt(doc: dict) -> None:
        doc["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {"httpGet": {"path": "/healthz"}}

    def wrong_type(doc: dict) -> None:
        doc["spec"]["replicas"] = "two"

    def no_name(doc: dict) -> None:
        del doc["spec"]["template"]["spec"]["containers"][0]["name"]

    assert "'livenesProbe' was unexpected" in " ".join(schema_errors(broken(misspelt)))
    assert any("spec.replicas" in error for error in schema_errors(broken(wrong_type)))
    assert any("'name' is a required property" in error for error in schema_errors(broken(no_name)))
    policy = copy.deepcopy(next(doc for doc in documents("networkpolicies.yaml")))
    policy["spec"]["podSelector"] = "everything"
    assert schema_errors(policy)
    with pytest.raises(NoSchema):  # a kind or version that Kubernetes 1.31 does not serve
        schema_errors({"apiVersion": "networking.k8s.io/v1beta1", "kind": "Ingress", "metadata": {"name": "x"}})


def test_the_minimum_kubernetes_version_is_stated_where_a_city_reads_it_and_is_the_one_validated():
    assert SCHEMAS.name == f"v{MINIMUM_VERSION}.0" and (SCHEMAS / "statefulset-apps-v1.json").is_file()
    # ordinals.start (nats-1..3, the names of cluster.conf's routes) is GA from 1.31
    [statefulset] = [doc for doc in documents("nats.yaml") if doc["kind"] == "StatefulSet"]
    assert statefulset["spec"]["ordinals"] == {"start": 1}
    assert f"Minimum Kubernetes version: {MINIMUM_VERSION}" in (compose.DEPLOY / "README.md").read_text()
    assert f"Minimum Kubernetes version: {MINIMUM_VERSION}" in (compose.DEPLOY / "kustomization.yaml").read_text()
    assert f"MINIMUM KUBERNETES VERSION {MINIMUM_VERSION}" in (K8S / "nats.yaml").read_text()


# --------------------------------------------------------------------------- secrets as files


def hallobot_pods() -> dict[str, dict]:
    """The pod templates that run the hallobot image: the four services and the nats-streams Job."""
    return {
        doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
        for docs in every_manifest().values()
        for doc in docs
        if doc["kind"] in {"Deployment", "Job"}
        and doc["spec"]["template"]["spec"]["containers"][0]["image"].startswith("hallobot")
    }


def test_secrets_reach_the_hallobot_containers_as_files_and_never_as_environment_variables():
    secret = next(doc for doc in documents("secret.example.yaml") if doc["metadata"]["name"] == "hallobot")
    keys = set(secret["stringData"])
    pods = hallobot_pods()
    assert set(pods) == {*SERVICES, "nats-streams"}
    for name, pod in pods.items():
        [container] = pod["containers"]
        for item in container["env"]:
            assert "valueFrom" not in item or "secretKeyRef" not in item["valueFrom"], (name, item["name"])
        assert all("secretRef" not in source for source in container.get("envFrom", [])), name
        [volume] = [v for v in pod["volumes"] if v.get("secret", {}).get("secretName") == "hallobot"]
        [mount] = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
        assert mount["mountPath"] == SECRETS_DIR and mount["readOnly"] is True
        items = {item["path"]: item["key"] for item in volume["secret"]["items"]}
        assert set(items.values()) <= keys, f"{name}: keys the example Secret lacks"
        # the mode lets the pod's group (fsGroup) read, nobody else
        assert volume["secret"]["defaultMode"] == 0o440 and pod["securityContext"]["fsGroup"] == 10001
        files = {
            item["name"].removesuffix("_FILE"): item["value"].removeprefix(SECRETS_DIR + "/")
            for item in container["env"]
            if item["name"].endswith("_FILE") and item["value"].startswith(SECRETS_DIR + "/")
        }
        # each file named by a NAME_FILE is one of the volume's, under the name of the setting it holds
        assert files and all(path == setting and path in items for setting, path in files.items()), name
        assert set(files) == set(items), f"{name}: a mounted key no setting reads"
        if name in SERVICES:
            upper = name.upper()
            assert (
                items["NATS_URL"] == f"{upper}_NATS_URL" and items[f"{upper}_DATABASE_URL"] == f"{upper}_DATABASE_URL"
            )
            others = {
                f"{other.upper()}_{what}"
                for other in SERVICES
                if other != name
                for what in ("NATS_URL", "DATABASE_URL")
            }
            assert not others & set(items.values()), f"{name} sees another service's credentials"
            assert {"HALLOBOT_OPERATOR_TOKEN", "HALLOBOT_SITE_SECRET"} <= set(files)
    assert "NOTIFICATIONS_SECRET_KEY" in {
        i["key"] for v in pods["notifications"]["volumes"] for i in v.get("secret", {}).get("items", [])
    }


def test_the_streams_job_reads_the_city_admin_url_from_the_file_kubernetes_mounts(tmp_path: Path):
    url = tmp_path / "HALLOBOT_CITY_NATS_URL"
    url.write_text("tls://city-admin:secret@nats:4222\n")
    assert city_nats_url({"HALLOBOT_CITY_NATS_URL_FILE": str(url)}) == "tls://city-admin:secret@nats:4222"
    assert city_nats_url({"HALLOBOT_CITY_NATS_URL": "tls://a@b:4222", "HALLOBOT_CITY_NATS_URL_FILE": str(url)}) == (
        "tls://a@b:4222"
    )
    assert city_nats_url({}) is None
    with pytest.raises(ValueError, match="HALLOBOT_CITY_NATS_URL_FILE"):
        city_nats_url({"HALLOBOT_CITY_NATS_URL_FILE": str(tmp_path / "missing")})
    [job] = [doc for doc in documents("nats.yaml") if doc["kind"] == "Job"]
    env = {item["name"]: item["value"] for item in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HALLOBOT_CITY_NATS_URL_FILE"] == f"{SECRETS_DIR}/HALLOBOT_CITY_NATS_URL"
    assert env["NATS_URL_FILE"] == f"{SECRETS_DIR}/NATS_URL"


# --------------------------------------------------------------------------- NATS for hosts and city systems


def test_hosts_and_city_systems_reach_only_the_tls_client_port_of_nats_from_outside():
    services = {doc["metadata"]["name"]: doc for doc in documents("nats.yaml") if doc["kind"] == "Service"}
    public = services["nats-public"]["spec"]
    assert public["type"] == "LoadBalancer" and public["selector"] == {"app.kubernetes.io/name": "nats"}
    assert public["ports"] == [{"name": "client", "port": 4222, "targetPort": "client"}]
    assert all(
        services[name]["spec"].get("type", "ClusterIP") == "ClusterIP" for name in services if name != "nats-public"
    )
    # the client port is TLS only: cluster.conf's tls block, no plain connections allowed
    conf = (compose.DEPLOY / "nats" / "cluster.conf").read_text()
    assert re.search(r"^tls \{", conf, re.MULTILINE) and "allow_non_tls" not in conf
    [statefulset] = [doc for doc in documents("nats.yaml") if doc["kind"] == "StatefulSet"]
    pod = statefulset["spec"]["template"]["spec"]
    [tls] = [volume for volume in pod["volumes"] if volume["name"] == "tls"]
    assert tls["secret"]["secretName"] == "nats-tls"
    assert {item["path"] for item in tls["secret"]["items"]} >= {"server.pem", "server-key.pem"}
    [mount] = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "tls"]
    cert = re.search(r'cert_file: "([^"]+)"', conf)
    assert cert and Path(cert[1]).parent == Path(mount["mountPath"])


def test_each_service_reads_a_valid_production_configuration_from_the_files_kubernetes_mounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The chain a pod runs: the ConfigMap and env of its Deployment, its Secret items as files
    (the example's placeholders replaced by strong values), then the service's own settings class."""
    config = next(doc for doc in documents("config.yaml") if doc["kind"] == "ConfigMap")["data"]
    secret = next(doc for doc in documents("secret.example.yaml") if doc["metadata"]["name"] == "hallobot")
    real = {
        key: re.sub(r"replace-me[a-z0-9-]*|REPLACE", lambda _: secrets.token_urlsafe(36), value)
        for key, value in secret["stringData"].items()
    }
    for name, pod in hallobot_pods().items():
        if name not in SERVICES:
            continue
        [container] = pod["containers"]
        [volume] = [v for v in pod["volumes"] if v.get("secret", {}).get("secretName") == "hallobot"]
        mounted = tmp_path / name
        mounted.mkdir()
        for item in volume["secret"]["items"]:
            (mounted / item["path"]).write_text(real[item["key"]])
        for variable in [*config, *settings_env_names(name)]:
            monkeypatch.delenv(variable, raising=False)
            monkeypatch.delenv(f"{variable}_FILE", raising=False)
        for variable, value in config.items():
            monkeypatch.setenv(variable, value)
        for item in container["env"]:
            monkeypatch.setenv(item["name"], item["value"].replace(SECRETS_DIR, str(mounted)))
        monkeypatch.setenv("HALLOBOT_DATA_DIR", str(tmp_path / "data"))
        module, _, cls = SERVICE_SETTINGS[name].partition(":")
        settings = getattr(importlib.import_module(module), cls)()
        assert settings.environment == "production"
        assert settings.nats_url == real[f"{name.upper()}_NATS_URL"]
        assert settings.database_url == real[f"{name.upper()}_DATABASE_URL"]
        assert settings.operator_token.get_secret_value() == real["HALLOBOT_OPERATOR_TOKEN"]
        assert settings.site_secret.get_secret_value() == real["HALLOBOT_SITE_SECRET"]
        if name == "notifications":
            assert settings.secret_key.get_secret_value() == real["NOTIFICATIONS_SECRET_KEY"]
