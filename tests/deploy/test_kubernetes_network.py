"""deploy/k8s/networkpolicies.yaml evaluated path by path: what must be open is, what must stay closed is."""

from __future__ import annotations

from shared.config import SERVICES
from tests.deploy.kubernetes import Outside, Pod, admits, documents, lets_out, network_policies, pods

INGRESS_CONTROLLER = Pod(
    {"app.kubernetes.io/name": "ingress-nginx"}, namespace={"kubernetes.io/metadata.name": "ingress-nginx"}
)
PROMETHEUS = Pod({"app.kubernetes.io/name": "prometheus"}, namespace={"kubernetes.io/metadata.name": "monitoring"})
CITY_SYSTEM = Pod(
    {"app": "traffic-dashboard"}, namespace={"kubernetes.io/metadata.name": "city", "hallobot.de/nats-client": "true"}
)
STRANGER = Pod({"app": "something"}, namespace={"kubernetes.io/metadata.name": "other-tenant"})
HOTSPOT_HOST = Outside("203.0.113.7")
DNS = Pod({"k8s-app": "kube-dns"}, {"dns": 53}, namespace={"kubernetes.io/metadata.name": "kube-system"})
POSTGRES = Outside("10.20.0.5")
MAIL_RELAY = Outside("10.20.0.25")


def test_every_pod_of_the_namespace_denies_ingress_unless_a_policy_admits_it():
    [deny] = [p for p in network_policies() if p["spec"]["podSelector"] == {}]
    assert deny["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in deny["spec"]
    found = pods()
    assert set(found) == {*SERVICES, "nats", "nats-streams"}
    assert not admits(found["nats-streams"], found["directory"], 8080), "the Job admits nothing"
    # every policy selects pods that exist and names ports they have
    for policy in network_policies():
        selected = [
            pod
            for pod in found.values()
            if all(pod.labels.get(k) == v for k, v in policy["spec"]["podSelector"].get("matchLabels", {}).items())
        ]
        assert selected, policy["metadata"]["name"]
        for rule in policy["spec"].get("ingress", []):
            for port in rule.get("ports", []):
                assert all(port["port"] in pod.ports or isinstance(port["port"], int) for pod in selected), port


def test_the_ingress_controller_reaches_the_services_public_ports_and_nothing_else():
    found = pods()
    for name in SERVICES:
        service = found[name]
        assert admits(service, INGRESS_CONTROLLER, service.ports["http"]), name
        assert not admits(service, INGRESS_CONTROLLER, service.ports["internal"]), name
        assert not admits(service, STRANGER, service.ports["http"]), name
        assert not admits(service, HOTSPOT_HOST, service.ports["http"]), "people come through the Ingress only"
        assert not admits(service, found["nats"], service.ports["http"])
    assert not admits(found["nats"], INGRESS_CONTROLLER, 8222)
    # the Kubernetes Services' ports are the pods' `http` ports the policy admits
    for doc in documents("services.yaml"):
        if doc["kind"] == "Service":
            assert [port["targetPort"] for port in doc["spec"]["ports"]] == ["http"]


def test_only_the_monitoring_namespace_reaches_the_internal_port_and_natss_monitoring():
    found = pods()
    for name in SERVICES:
        assert admits(found[name], PROMETHEUS, 9000), name
        assert not admits(found[name], PROMETHEUS, found[name].ports["http"]), name
        assert not admits(found[name], STRANGER, 9000), name
        assert not admits(found[name], found["notifications"], 9000), "one service does not read another's details"
    assert admits(found["nats"], PROMETHEUS, 8222)
    assert not admits(found["nats"], STRANGER, 8222) and not admits(found["nats"], HOTSPOT_HOST, 8222)


def test_services_hosts_and_city_systems_reach_natss_tls_client_port_and_only_nats_reaches_its_routes():
    found = pods()
    nats = found["nats"]
    assert nats.ports == {"client": 4222, "cluster": 6222, "monitor": 8222}
    for client in (*(found[name] for name in SERVICES), found["nats-streams"], CITY_SYSTEM, HOTSPOT_HOST):
        assert admits(nats, client, 4222), client
        assert not admits(nats, client, 6222), client
    assert admits(nats, nats, 6222)
    assert not admits(nats, STRANGER, 4222), "a pod of another tenant needs its namespace labelled"
    assert not admits(nats, HOTSPOT_HOST, 6222)


def test_the_services_connect_out_only_to_dns_nats_postgresql_and_for_notifications_mail_and_webhooks():
    found = pods()
    nats = found["nats"]
    for name in SERVICES:
        service = found[name]
        assert lets_out(service, DNS, 53, "UDP") and lets_out(service, DNS, 53, "TCP"), name
        assert lets_out(service, nats, 4222), name
        assert lets_out(service, POSTGRES, 5432), name
        assert not lets_out(service, nats, 6222), name
        assert not lets_out(service, Outside("198.51.100.9"), 22), name
        assert not lets_out(service, STRANGER, 53, "UDP"), "DNS is kube-dns, not any pod"
    for port in (25, 465, 587, 443):
        assert lets_out(found["notifications"], MAIL_RELAY, port), port
        assert not lets_out(found["directory"], MAIL_RELAY, port), port
    # NATS itself and the Job are not limited on the way out (routes, DNS)
    assert lets_out(nats, nats, 6222) and lets_out(found["nats-streams"], nats, 4222)
