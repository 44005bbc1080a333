"""The Heat Kubernetes drivers' per-server bundles: the one node definition, VM paths,
planned addresses, certificates from the cluster's CAs, deterministic encoding."""

from __future__ import annotations

import ipaddress

import pytest
from cryptography import x509 as cx509

from dockyard.certs.x509 import KeyPair, generate_ca
from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.heat import addresses, kubernetes, node_bundle
from dockyard.drivers.heat.driver import _node_indices


def _spec(**changes: object) -> ClusterSpec:
    values: dict[str, object] = {
        "uuid": "0b7a5c0e-1111-4222-8333-944455556666",
        "name": "k",
        "project_id": "p",
        "coe": "kubernetes",
        "master_count": 1,
        "node_count": 2,
        "labels": {},
        "template": {"master_lb_enabled": False},
        "create_timeout": 60,
        "docker_volume_size": None,
        "keypair": None,
        "master_flavor_id": None,
        "flavor_id": None,
        "nodegroups": (),
        "driver_state": {},
        "ca": generate_ca("ca"),
        "cas": {"etcd_ca": generate_ca("etcd"), "front_proxy_ca": generate_ca("fp")},
    }
    values.update(changes)
    return ClusterSpec(**values)  # type: ignore[arg-type]


def _issuer(cert_pem: bytes) -> str:
    return cx509.load_pem_x509_certificate(cert_pem).issuer.rfc4514_string()


def test_every_server_gets_the_node_definition_at_its_planned_address() -> None:
    spec = _spec()
    params = kubernetes.bundles(spec, "k-0b7a5c0e1111", [0, 1])
    masters = params[node_bundle.MASTER_BUNDLES]
    nodes = params[node_bundle.NODE_BUNDLES]
    assert isinstance(masters, dict) and isinstance(nodes, dict)
    assert {k: v["address"] for k, v in masters.items()} == {"0": "10.0.0.10"}
    assert {k: v["address"] for k, v in nodes.items()} == {"0": "10.0.0.20", "1": "10.0.0.21"}
    master = node_bundle.decode(masters["0"]["bundle"])
    worker = node_bundle.decode(nodes["1"]["bundle"])
    # The masters run the control plane; every server a kubelet; all from /etc/kubernetes.
    runs = sorted(p.rsplit("/", 1)[1] for p in master if "/run/" in p)
    assert runs == [
        "00-etcd.args", "01-kube-apiserver.args", "02-kube-controller-manager.args",
        "03-kube-scheduler.args", "04-dockerd.args", "05-kubelet.args", "06-kube-proxy.args",
    ]  # fmt: skip
    assert sorted(p.rsplit("/", 1)[1] for p in worker if "/run/" in p) == [
        "00-dockerd.args",
        "01-kubelet.args",
        "02-kube-proxy.args",
    ]
    assert all(p.startswith("/etc/kubernetes/") for p in [*master, *worker])
    kubelet = worker["/etc/kubernetes/run/01-kubelet.args"][0].decode().splitlines()
    assert "--hostname-override=k-0b7a5c0e1111-node-1" in kubelet
    assert "--node-ip=10.0.0.21" in kubelet
    env = worker["/etc/kubernetes/node.env"][0].decode()
    assert "KUBE_API='https://10.0.0.10:6443'" in env
    # Certificates from the cluster's CAs; the worker never gets a CA key.
    assert spec.ca is not None
    ca_name = _issuer(spec.ca.cert_pem)
    assert _issuer(worker["/etc/kubernetes/pki/kubelet-client.crt"][0]) == ca_name
    assert _issuer(master["/etc/kubernetes/pki/etcd.crt"][0]) == _issuer(
        spec.cas["etcd_ca"].cert_pem
    )
    assert not [p for p in worker if p.endswith("ca.key")]
    assert master["/etc/kubernetes/pki/ca.key"][1] == 0o600
    # No argument systemd would expand (kubernetes-node.sh refuses them).
    for path, (data, _) in [*master.items(), *worker.items()]:
        if path.endswith(".args"):
            assert "$" not in data.decode() and "%" not in data.decode(), path


def test_load_balancer_vip_is_the_api_host_and_in_the_api_certificate() -> None:
    spec = _spec(master_count=3, template={"master_lb_enabled": True})
    params = kubernetes.bundles(spec, "s", [])
    assert params["lb_vip_address"] == "10.0.0.5"
    masters = params[node_bundle.MASTER_BUNDLES]
    assert isinstance(masters, dict) and len(masters) == 3
    files = node_bundle.decode(masters["2"]["bundle"])
    cert = cx509.load_pem_x509_certificate(files["/etc/kubernetes/pki/apiserver.crt"][0])
    sans = cert.extensions.get_extension_for_class(cx509.SubjectAlternativeName).value
    ips = {str(ip) for ip in sans.get_values_for_type(cx509.IPAddress)}
    assert {"10.0.0.5", "10.0.0.12", "127.0.0.1"} <= ips
    etcd = files["/etc/kubernetes/run/00-etcd.args"][0].decode()
    assert "s-master-0=https://10.0.0.10:2380,s-master-1=https://10.0.0.11:2380" in etcd


def test_service_account_key_follows_the_cluster_ca() -> None:
    spec = _spec()
    cas = kubernetes.cluster_cas(spec)
    assert kubernetes.service_account_key(cas) == kubernetes.service_account_key(cas)
    other = kubernetes.cluster_cas(_spec(ca=generate_ca("new")))
    assert kubernetes.service_account_key(other) != kubernetes.service_account_key(cas)


def test_clusters_the_plan_cannot_serve_are_refused() -> None:
    with pytest.raises(addresses.PlanError, match="fixed_network"):
        kubernetes.bundles(_spec(template={"fixed_network": "net"}), "s", [0])
    with pytest.raises(addresses.PlanError, match="need TLS"):
        kubernetes.bundles(_spec(ca=None), "s", [0])


def test_encoding_is_deterministic_and_keeps_modes() -> None:
    files = {"/etc/a/x": (b"1", 0o600), "/etc/b": (b"2", 0o644)}
    assert node_bundle.encode(files) == node_bundle.encode(dict(reversed(files.items())))
    assert node_bundle.decode(node_bundle.encode(files)) == files
    with pytest.raises(ValueError):
        node_bundle.encode({"relative": (b"", 0o600)})


def test_node_indices_cover_what_heat_numbers_next() -> None:
    # Nodes 0..2; shrink to 1 removed (and so excluded) 1 and 2; grow to 3 uses 3 and 4.
    assert _node_indices({"node_refs_map": {"0": "a"}}, 3, 2) == [0, 3, 4, 5]
    assert _node_indices({}, 2, -1) == [0, 1]
    assert _node_indices({"node_refs_map": {"0": "a", "4": "b"}}, 2, 1) == [0, 4, 5, 6]


def test_pod_subnets_do_not_overlap() -> None:
    plan = addresses.AddressPlan(
        ipaddress.IPv4Network("10.0.0.0/24"), ipaddress.IPv4Network("10.100.0.0/16")
    )
    subnets = {plan.pod_subnet(plan.master(i)) for i in range(3)}
    subnets |= {plan.pod_subnet(plan.node(i)) for i in range(50)}
    assert len(subnets) == 53
    _ = KeyPair  # the CA type the spec carries
