"""What the local Kubernetes driver reports back: cluster facts and COMPLETE results."""

from __future__ import annotations

import os

from dockyard.certs.x509 import describe
from dockyard.domain.certificates import NODE, CertificateInfo
from dockyard.drivers.base import ClusterFacts, ClusterSpec, DriverResult
from dockyard.drivers.k8s_local.layout import KubeState
from dockyard.drivers.k8s_local.nodes import KubeNodes
from dockyard.drivers.swarm_local import groups
from dockyard.drivers.swarm_local.results import finished


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
    return ClusterFacts(
        api_address=f"https://127.0.0.1:{state.api_port}" if state.api_port else None,
        coe_version=state.kube_version,
        container_version=state.engine_version,
        master_addresses=[n.address for n in state.managers],
        # The default worker group's; the other groups' are in nodegroup_addresses.
        node_addresses=[n.address for n in state.workers if not n.removing and not n.nodegroup],
        node_certificates=node_certificates(nodes, state),
        nodegroup_addresses=groups.addresses(state, spec),
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
