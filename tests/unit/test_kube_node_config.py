"""The one definition of a Kubernetes node (dockyard.drivers.kube_node.config)."""

from __future__ import annotations

import json

import yaml
from cryptography import x509

from dockyard.certs.x509 import generate_ca
from dockyard.drivers.kube_node import config as kube

CAS = kube.ClusterCAs(generate_ca("c"), generate_ca("etcd"), generate_ca("front-proxy"))
DIRS = kube.NodeDirs(
    config="/n/kube",
    data="/n/data",
    run="/r/n",
    bin_dir="/bin/k8s",
    cni_bin="/usr/lib/cni",
    etcd="/usr/bin/etcd",
    cgroup="dockyard/abc/m0",
)
M0 = kube.Member("c-master-0", "192.168.9.10", kube.MASTER, "10.100.0.0/24")
M1 = kube.Member("c-master-1", "192.168.9.11", kube.MASTER, "10.100.1.0/24")
W0 = kube.Member("c-node-0", "192.168.9.12", kube.WORKER, "10.100.2.0/24")
SHAPE = kube.ClusterShape(
    uuid="u",
    masters=(M0, M1),
    api_host="192.168.9.3",
    service_cidr="10.254.0.0/16",
    pod_cidr="10.100.0.0/16",
    service_account_key=b"KEY",
    service_account_pub=b"PUB",
)


def files_for(node: kube.Member, existing: dict[str, bytes] | None = None) -> kube.NodeFiles:
    issuer = kube.Issuer(CAS, 30, existing or {})
    return kube.node_files(SHAPE, node, DIRS, issuer, ["dockerd", "--x"])


def cert(files: kube.NodeFiles, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(files.files[f"pki/{name}.crt"][0])


def flags(files: kube.NodeFiles, component: str) -> dict[str, str]:
    argv = dict(files.commands)[component]
    return dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)


def test_a_master_runs_the_control_plane_then_the_node_components_in_order() -> None:
    names = [name for name, _ in files_for(M0).commands]
    assert names == ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
                     "dockerd", "kubelet", "kube-proxy"]  # fmt: skip
    assert [name for name, _ in files_for(W0).commands] == ["dockerd", "kubelet", "kube-proxy"]


def test_certificates_come_from_the_three_cluster_cas() -> None:
    files = files_for(M0)
    assert cert(files, "apiserver").issuer == CAS.ca.certificate.subject
    assert cert(files, "etcd").issuer == CAS.etcd.certificate.subject
    assert cert(files, "apiserver-etcd-client").issuer == CAS.etcd.certificate.subject
    assert cert(files, "front-proxy-client").issuer == CAS.front_proxy.certificate.subject
    sans = cert(files, "apiserver").extensions.get_extension_for_class(x509.SubjectAlternativeName)
    names = {str(v.value) for v in sans.value}
    assert {"192.168.9.3", "10.254.0.1", "127.0.0.1", "kubernetes.default.svc"} <= names
    kubelet = cert(files, "kubelet-client").subject.rfc4514_string()
    assert kubelet == "O=system:nodes,CN=system:node:c-master-0"
    assert files.files["pki/ca.key"][1] == 0o600 and files.files["pki/sa.key"][1] == 0o600


def test_etcd_peers_and_the_api_servers_list_every_master() -> None:
    files = files_for(M1)
    etcd = flags(files, "etcd")
    assert etcd["initial-cluster"] == (
        "c-master-0=https://192.168.9.10:2380,c-master-1=https://192.168.9.11:2380"
    )
    api = flags(files, "kube-apiserver")
    assert api["etcd-servers"] == "https://192.168.9.10:2379,https://192.168.9.11:2379"
    assert flags(files, "kube-scheduler")["leader-elect"] == "true"


def test_node_components_reach_the_api_through_the_load_balancer() -> None:
    files = files_for(W0)
    kubeconfig = yaml.safe_load(files.files["kubelet.kubeconfig"][0])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://192.168.9.3:6443"
    config = yaml.safe_load(files.files["kubelet.yaml"][0])
    assert config["podCIDR"] == "10.100.2.0/24"
    assert config["cgroupRoot"] == "/dockyard/abc/m0/pods"
    cni = json.loads(files.files["cni/10-dockyard.conflist"][0])
    assert cni["plugins"][0]["ipam"]["ranges"] == [[{"subnet": "10.100.2.0/24"}]]
    assert "register-with-taints" not in flags(files, "kubelet")
    assert flags(files_for(M0), "kubelet")["register-with-taints"] == kube.MASTER_TAINT


def test_certificates_are_kept_while_their_ca_is_the_same_and_reissued_after_a_rotation() -> None:
    first = files_for(W0)
    existing = {path: data for path, (data, _mode) in first.files.items()}
    again = files_for(W0, existing)
    assert again.files["pki/kubelet.crt"] == first.files["pki/kubelet.crt"]
    rotated = kube.ClusterCAs(generate_ca("new"), CAS.etcd, CAS.front_proxy)
    issuer = kube.Issuer(rotated, 30, existing)
    after = kube.node_files(SHAPE, W0, DIRS, issuer, ["dockerd"])
    assert after.files["pki/kubelet.crt"] != first.files["pki/kubelet.crt"]


def test_every_node_gets_the_preparation_its_supervisor_sources() -> None:
    """node_prep.sh is one file for local nodes (kube_node.sh) and Heat servers
    (kubernetes-node.sh): both source it from the node's configuration directory."""
    for node in (M0, W0):
        script = files_for(node).files["node-prep.sh"][0].decode()
        assert "${KUBE_CGROUP//" in script and "ip_forward" in script
