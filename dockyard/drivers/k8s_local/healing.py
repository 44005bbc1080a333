"""Healing a local Kubernetes cluster: the shared loop (swarm_local/healing_loop.py) with
Kubernetes' steps. Nodes that stay down (supervisor dead, or not Ready) are restarted from
their directories and must report Ready again; a worker that does not is replaced by a new
one, and the old one is cordoned, drained and removed. Masters are restarted, never removed
or replaced (the shared loop's `refusal` says why)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractContextManager

from dockyard.drivers.base import ClusterSpec, DriverResult
from dockyard.drivers.k8s_local import resize, results
from dockyard.drivers.k8s_local.layout import KubeState
from dockyard.drivers.k8s_local.nodes import KubeNodes, cluster_cas
from dockyard.drivers.k8s_local.provisioning import nodegroup_labels
from dockyard.drivers.swarm_local.healing_loop import Healer
from dockyard.drivers.swarm_local.layout import Node
from dockyard.providers.kube_local.api import node_ready


def heal(nodes: KubeNodes, spec: ClusterSpec, wanted: Sequence[str]) -> DriverResult:
    """Bring back the nodes named in `wanted` (hostnames) and every node found dead."""
    return KubeHealer(nodes).heal(spec, wanted)


class KubeHealer(Healer[KubeState]):
    ready = "Ready"
    master = "master"
    members_of = "etcd"

    def __init__(self, nodes: KubeNodes) -> None:
        self.nodes = nodes
        self._started_at: dict[str, float] = {}  # node name -> time.time() before its restart

    def lock(self, uuid: str) -> AbstractContextManager[object]:
        return self.nodes.store.cluster_lock(uuid)

    def load(self, spec: ClusterSpec) -> KubeState | None:
        return self.nodes.load(spec)

    def prepare(self, state: KubeState, spec: ClusterSpec) -> None:
        cluster_cas(spec)  # refuses a spec without the cluster's CAs before anything changes
        self.nodes.ensure_network(state)
        self.nodes.ensure_lb(state)

    def finish_replacements(self, state: KubeState, spec: ClusterSpec, events: list[str]) -> None:
        """The old workers an interrupted call marked `removing` go (their replacements are
        among the live nodes, restarted with the others when dead)."""
        leaving = [n for n in state.nodes if n.removing]
        if leaving:
            self.remove_workers(state, spec, leaving, events)

    def still_down(self, state: KubeState, spec: ClusterSpec, wanted: Sequence[str]) -> list[Node]:
        """The live nodes whose supervisor is dead, and those of `wanted` that the API does
        not report Ready now (a node that came back meanwhile is left alone)."""
        try:
            with self.nodes.api(state, spec, timeout=5) as api:
                listed = api.nodes()
            ready = {name for name, entry in listed.items() if node_ready(entry) is None}
        except Exception:
            ready = set()  # the API does not answer: every wanted node is still down
        return [
            n
            for n in state.live_nodes
            if not self.nodes.running(n) or (n.hostname in wanted and n.hostname not in ready)
        ]

    def restart(self, state: KubeState, spec: ClusterSpec, node: Node) -> None:
        self._started_at[node.name] = time.time()
        self.nodes.stop(state, [node])  # a no-op for a dead node
        self.nodes.ensure_running(state, [node], cluster_cas(spec), spec.node_cert_days)

    def wait_ready(self, state: KubeState, spec: ClusterSpec, node: Node) -> None:
        since = self._started_at.get(node.name)
        self.nodes.wait_ready(state, spec, [node], nodegroup_labels(spec), since)

    def start_replacement(self, state: KubeState, spec: ClusterSpec, new: Node) -> None:
        self._started_at[new.name] = time.time()
        self.nodes.ensure_running(state, [new], cluster_cas(spec), spec.node_cert_days)
        self.wait_ready(state, spec, new)

    def remove_workers(
        self, state: KubeState, spec: ClusterSpec, leaving: list[Node], events: list[str]
    ) -> None:
        with self.nodes.api(state, spec) as api:
            resize.remove_workers(self.nodes, state, api, leaving, events)

    def save(self, state: KubeState) -> None:
        self.nodes.store.save(state)

    def complete(self, state: KubeState, reason: str, events: list[str]) -> DriverResult:
        return results.complete(self.nodes, state, reason, events)
