"""The Heat Kubernetes drivers' server bundles, from the one definition of a Kubernetes node.

Every master and node of a `k8s_fedora_atomic` / `k8s_coreos` stack gets the files and
command lines `dockyard.drivers.kube_node.config.node_files` gives the local driver's nodes,
with the paths of a VM (`VM_DIRS`), packed as a bundle (`node_bundle`) together with its
components' command lines (`run/NN-name.args`, one argument a line). The fragment
`fragments/scripts/kubernetes-node.sh` unpacks it, turns the command lines into systemd
units, and signals the server's wait condition once its node is Ready.

Certificates come from the cluster's CAs (`ClusterSpec.ca`, `.cas`); a bundle can only be
rendered for a server whose address is known, so servers get planned addresses on the
network the stack makes (`AddressPlan`): masters from .10, nodes from .20 of
`fixed_network_cidr`, the API load balancer's VIP at .5. The service-account signing key is
derived from the cluster CA's key, so every render gives the masters the same key and a CA
rotation replaces it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dockyard.drivers.base import ClusterSpec, NodeGroupSpec
from dockyard.drivers.heat import node_bundle
from dockyard.drivers.heat.addresses import AddressPlan, PlanError, plan_for, server_name
from dockyard.drivers.heat.driver import BundleRenderer, RekeyedHeatDriver
from dockyard.drivers.heat.node_bundle import ServerBundle
from dockyard.drivers.heat.template_def import default_workers
from dockyard.drivers.kube_node import config as kube

DEFAULT_SERVICE_CIDR = "10.254.0.0/16"  # Magnum's service_cluster_ip_range
#: Where a server's bundle, wait condition and systemd units live on the VM.
VM_DIRS = kube.NodeDirs(
    config="/etc/kubernetes",
    data="/var/lib/kubernetes",
    run="/run/kubernetes",
    bin_dir="/usr/local/bin",
    cni_bin="/opt/cni/bin",
    etcd="/usr/bin/etcd",
    cgroup="dockyard",
)
# The node's own dockerd: kubelet (dockershim and the bridge CNI plugin) wires the pods, so
# dockerd leaves the network alone (as in the local driver's nodes).
DOCKERD_FLAGS = (
    "--bridge=none",
    "--iptables=false",
    "--ip-masq=false",
    "--exec-opt=native.cgroupdriver=cgroupfs",
)


def service_account_key(ca: kube.ClusterCAs) -> tuple[bytes, bytes]:
    """An ECDSA P-256 key derived from the cluster CA's key (PEM private, PEM public)."""
    seed = hashlib.sha256(b"dockyard service-account\0" + ca.ca.key_pem).digest()
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    key = ec.derive_private_key(int.from_bytes(seed, "big") % (order - 1) + 1, ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def vm_dockerd(dirs: kube.NodeDirs, storage_driver: str) -> list[str]:
    """The command line of a VM node's own dockerd (socket where the kubelet looks)."""
    return [
        "/usr/bin/dockerd",
        f"--data-root={os.path.join(dirs.data, 'docker')}",
        f"--exec-root={os.path.join(dirs.run, 'docker')}",
        f"--pidfile={os.path.join(dirs.run, 'docker.pid')}",
        f"--host=unix://{dirs.docker_socket}",
        f"--storage-driver={storage_driver}",
        *DOCKERD_FLAGS,
    ]


def render(
    shape: kube.ClusterShape,
    member: kube.Member,
    dirs: kube.NodeDirs,
    cas: kube.ClusterCAs,
    days: int,
    dockerd: list[str],
    node_labels: Mapping[str, str] | None = None,
) -> dict[str, tuple[bytes, int]]:
    """One server's files by absolute path: `node_files` under `dirs.config`, its command
    lines as `run/NN-name.args`, and `node.env` (what the fragment needs to know)."""
    issuer = kube.Issuer(cas, days, {})
    files = kube.node_files(shape, member, dirs, issuer, dockerd, node_labels=node_labels)
    out: dict[str, tuple[bytes, int]] = {
        os.path.join(dirs.config, relative): content for relative, content in files.files.items()
    }
    for index, (name, argv) in enumerate(files.commands):
        path = os.path.join(dirs.config, "run", f"{index:02d}-{name}.args")
        out[path] = (("\n".join(argv) + "\n").encode(), 0o600)
    env = {
        "NODE_NAME": member.hostname,
        "NODE_ROLE": member.role,
        "NODE_ADDRESS": member.address,
        "KUBE_CONFIG_DIR": dirs.config,
        "KUBE_DATA_DIR": dirs.data,
        "KUBE_RUN_DIR": dirs.run,
        "KUBE_CGROUP": dirs.cgroup,
        "KUBE_API": f"https://{shape.api_host}:{kube.API_PORT}",
    }
    text = "".join(f"{key}={_quote(value)}\n" for key, value in env.items())
    out[os.path.join(dirs.config, "node.env")] = (text.encode(), 0o644)
    return out


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def cluster_cas(spec: ClusterSpec) -> kube.ClusterCAs:
    """The cluster's CAs (its cluster CA stands in for an etcd or front-proxy CA it lacks)."""
    if spec.ca is None:
        raise PlanError(
            "Kubernetes clusters on Heat need TLS: their nodes' certificates come from the "
            "cluster's CAs (tls_disabled is not supported by this driver)"
        )
    return kube.ClusterCAs(
        ca=spec.ca,
        etcd=spec.cas.get("etcd_ca") or spec.ca,
        front_proxy=spec.cas.get("front_proxy_ca") or spec.ca,
    )


@dataclass(frozen=True, slots=True)
class _Cluster:
    """What every server's bundle of one cluster is rendered from."""

    plan: AddressPlan
    cas: kube.ClusterCAs
    shape: kube.ClusterShape
    dockerd: list[str]
    days: int

    def bundle(self, member: kube.Member, labels: Mapping[str, str]) -> ServerBundle:
        files = render(self.shape, member, VM_DIRS, self.cas, self.days, self.dockerd, labels)
        return ServerBundle(member.address, files)

    def worker(self, name: str, address: str, labels: Mapping[str, str]) -> ServerBundle:
        member = kube.Member(name, address, kube.WORKER, self.plan.pod_subnet(address))
        return self.bundle(member, labels)


def _cluster(spec: ClusterSpec, stack: str) -> _Cluster:
    plan = plan_for(spec)
    cas = cluster_cas(spec)
    private, public = service_account_key(cas)
    masters = tuple(
        kube.Member(
            server_name(stack, "master", i), plan.master(i), kube.MASTER,
            plan.pod_subnet(plan.master(i)),
        )
        for i in range(spec.master_count)
    )  # fmt: skip
    lb = spec.labels.get("master_lb_enabled", spec.template.get("master_lb_enabled"))
    api_host = plan.load_balancer if str(lb).lower() == "true" else masters[0].address
    shape = kube.ClusterShape(
        uuid=spec.uuid,
        masters=masters,
        api_host=api_host,
        service_cidr=spec.labels.get("service_cluster_ip_range") or DEFAULT_SERVICE_CIDR,
        pod_cidr=str(plan.pods),
        service_account_key=private,
        service_account_pub=public,
        api_sans=("127.0.0.1", "localhost", api_host),
    )
    storage = str(spec.template.get("docker_storage_driver") or "overlay2")
    return _Cluster(plan, cas, shape, vm_dockerd(VM_DIRS, storage), spec.node_cert_days)


def bundles(spec: ClusterSpec, stack: str, node_indices: Iterable[int]) -> dict[str, Any]:
    """The stack parameters of `spec`'s servers: `master_bundles` (every master),
    `node_bundles` (nodes of the default worker group at `node_indices`, with its node
    labels) and the load balancer's planned VIP."""
    cluster = _cluster(spec, stack)
    group = default_workers(spec)
    labels = group.labels_for_nodes if group is not None else {}
    workers = {
        i: cluster.worker(server_name(stack, "node", i), cluster.plan.node(i), labels)
        for i in node_indices
    }
    masters = {i: cluster.bundle(m, {}) for i, m in enumerate(cluster.shape.masters)}
    return {
        node_bundle.MASTER_BUNDLES: node_bundle.parameter(masters),
        node_bundle.NODE_BUNDLES: node_bundle.parameter(workers),
        "lb_vip_address": cluster.plan.load_balancer,
    }


def group_bundles(
    spec: ClusterSpec, stack: str, slot: int, group: NodeGroupSpec, indices: Iterable[int]
) -> dict[str, Any]:
    """The bundles of nodegroup `group`'s servers at `indices` (its slot's planned
    addresses, its node labels on the kubelet)."""
    cluster = _cluster(spec, stack)
    labels = group.labels_for_nodes
    return node_bundle.parameter(
        {
            i: cluster.worker(
                server_name(stack, f"{group.name}-node", i),
                cluster.plan.group_node(slot, i),
                labels,
            )
            for i in indices
        }
    )


class KubernetesHeatDriver(RekeyedHeatDriver):
    """A Heat driver whose servers become Kubernetes nodes from their bundles."""

    renderer = BundleRenderer(bundles, group_bundles)
