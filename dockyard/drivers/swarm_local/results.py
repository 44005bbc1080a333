"""What the local driver reports back to the conductor: cluster facts and COMPLETE results."""

from __future__ import annotations

from collections.abc import Iterable

from dockyard.domain.certificates import CertificateInfo
from dockyard.drivers.base import ClusterFacts, ClusterSpec, DriverResult, Outcome
from dockyard.drivers.swarm_local import groups, tls
from dockyard.drivers.swarm_local.layout import ClusterState, Node, StateStore


def complete(
    store: StateStore,
    state: ClusterState,
    reason: str,
    events: list[str] | None = None,
    spec: ClusterSpec | None = None,
) -> DriverResult:
    """A finished call: its reason, the cluster's facts and state, and timeline `events`.

    With `spec`, every nodegroup of it gets its addresses (an emptied group: none)."""
    return finished(state, facts(store, state, spec), reason, events)


def finished(
    state: ClusterState, facts: ClusterFacts, reason: str, events: list[str] | None
) -> DriverResult:
    """A COMPLETE result of a local driver (Swarm or Kubernetes) with `state` to keep."""
    return DriverResult(
        Outcome.COMPLETE,
        reason=reason,
        facts=facts,
        driver_state=state.to_dict(),
        events=events if events is not None else [],
    )


def facts(store: StateStore, state: ClusterState, spec: ClusterSpec | None = None) -> ClusterFacts:
    """The API address, versions, addresses and node certificates of the cluster."""
    return cluster_facts(
        state,
        f"tcp://127.0.0.1:{state.api_port}",
        state.engine_version,
        node_certificates(store, state),
        spec,
    )


def cluster_facts(
    state: ClusterState,
    api_address: str,
    coe_version: str | None,
    certificates: list[CertificateInfo] | None,
    spec: ClusterSpec | None,
) -> ClusterFacts:
    """The facts of a local cluster (Swarm or Kubernetes); `api_address` once it has a port."""
    return ClusterFacts(
        api_address=api_address if state.api_port else None,
        coe_version=coe_version,
        container_version=state.engine_version,
        master_addresses=[n.address for n in state.managers],
        # The default worker group's; the other groups' are in nodegroup_addresses.
        node_addresses=[n.address for n in state.workers if not n.removing and not n.nodegroup],
        node_certificates=certificates,
        nodegroup_addresses=groups.addresses(state, spec),
    )


def node_certificates(store: StateStore, state: ClusterState) -> list[CertificateInfo] | None:
    """The server certificates on the nodes' disks (None for a cluster without TLS)."""
    if not state.tls:
        return None
    found = (
        tls.node_certificate(store.node_paths(state, n).certs, n.hostname) for n in state.live_nodes
    )
    return [info for info in found if info is not None]


def hostnames(nodes: Iterable[Node]) -> str:
    """`nodes` for a reason line ("none" for no node)."""
    return ", ".join(n.hostname for n in nodes) or "none"
