"""What the local Kubernetes driver reports back: cluster facts and COMPLETE results."""

from __future__ import annotations

import os

from dockyard.certs.x509 import describe
from dockyard.domain.certificates import NODE, CertificateInfo
from dockyard.drivers.base import ClusterFacts, ClusterSpec, DriverResult
from dockyard.drivers.k8s_local.layout import KubeState
from dockyard.drivers.k8s_local.nodes import KubeNodes
from dockyard.drivers.swarm_local.results import cluster_facts, finished


def complete(
    nodes: KubeNodes,
    state: KubeState,
    reason: str,
    events: list[str] | None = None,
    *,
    spec: ClusterSpec | None = None,
) -> DriverResult:
    """A finished call; with `spec`, every nodegroup of it gets its addresses."""
    return finished(state, facts(nodes, state, spec), reason, events)


def facts(nodes: KubeNodes, state: KubeState, spec: ClusterSpec | None = None) -> ClusterFacts:
    """The API address (https on loopback), versions, addresses and node certificates."""
    return cluster_facts(
        state,
        f"https://127.0.0.1:{state.api_port}",
        state.kube_version,
        node_certificates(nodes, state),
        spec,
    )


def node_certificates(nodes: KubeNodes, state: KubeState) -> list[CertificateInfo]:
    """Each live node's kubelet serving certificate, as on its disk."""
    found: list[CertificateInfo] = []
    for node in state.live_nodes:
        path = os.path.join(nodes.paths(state, node).config, "pki", "kubelet.crt")
        try:
            with open(path, "rb") as handle:
                found.append(describe(handle.read(), NODE, node.hostname))
        except FileNotFoundError:
            continue
    return found
