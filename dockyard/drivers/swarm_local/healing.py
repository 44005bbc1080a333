"""Healing a local Swarm cluster: the shared loop (swarm_local/healing_loop.py) with swarm's steps.

A node whose dockerd still runs but that swarm reports down is stopped first, so it restarts
from its data-root like a dead one; a worker that does not come back is replaced by a new one
that joins the swarm, and the old one is drained and removed. A manager that does not come
back, while the others keep the raft quorum, is demoted and removed (the raft group shrinks
by one) before a new manager joins (it grows back).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from dockyard.drivers.base import ClusterSpec, DriverResult
from dockyard.drivers.swarm_local import resize, results
from dockyard.drivers.swarm_local.healing_loop import Healer
from dockyard.drivers.swarm_local.layout import MANAGER, ClusterState, Node
from dockyard.drivers.swarm_local.parts import DriverParts
from dockyard.providers.docker_local import procs, swarm


def heal(parts: DriverParts, spec: ClusterSpec, wanted: Sequence[str]) -> DriverResult:
    """Bring back the nodes named in `wanted` (hostnames) and every node found dead."""
    return SwarmHealer(parts).heal(spec, wanted)


class SwarmHealer(Healer[ClusterState]):
    restarted = "restarted from its data-root"
    restarted_suffix = " from their data-roots"
    came_back = "come back from its data-root"
    replaces_masters = True

    def __init__(self, parts: DriverParts) -> None:
        self.parts = parts

    def lock(self, uuid: str) -> AbstractContextManager[object]:
        return self.parts.store.cluster_lock(uuid)

    def load(self, spec: ClusterSpec) -> ClusterState | None:
        return self.parts.store.existing_state(spec.uuid, spec.driver_state)

    def prepare(self, state: ClusterState, spec: ClusterSpec) -> None:
        if state.tls and spec.ca is None:
            raise ValueError("the cluster has TLS enabled but no CA was given")
        self.parts.nodes.ensure_network(state)
        self.parts.registry.ensure_wanted(state, spec.ca)

    def finish_replacements(
        self, state: ClusterState, spec: ClusterSpec, events: list[str]
    ) -> None:
        leaving = [n for n in state.nodes if n.removing]
        self.remove_managers(state, [n for n in leaving if n.role == MANAGER], events)
        unjoined = [n for n in state.live_nodes if not n.swarm_id]
        if unjoined:
            self.start_nodes(state, spec, unjoined)
        self.remove_workers(state, spec, [n for n in leaving if n.role != MANAGER], events)

    def still_down(
        self, state: ClusterState, spec: ClusterSpec, wanted: Sequence[str]
    ) -> list[Node]:
        """The live nodes whose dockerd is dead, and those of `wanted` that swarm does not
        list as ready now (a node that came back meanwhile is left alone)."""
        try:
            with self.parts.swarm.manager(state) as api:
                ready = {n.id for n in swarm.nodes(api) if n.state == "ready"}
        except Exception:
            ready = set()  # no manager answers: every wanted node is still down for all we know
        return [
            n
            for n in state.live_nodes
            if not self.parts.nodes.running(n) or (n.hostname in wanted and n.swarm_id not in ready)
        ]

    def restart(self, state: ClusterState, spec: ClusterSpec, node: Node) -> None:
        ref = self.parts.nodes.ref(node)
        if ref is not None and procs.alive(ref):
            procs.terminate([ref], timeout=self.parts.settings.shutdown_timeout + 10.0)
        self.parts.nodes.ensure_running(state, [node], spec.ca, spec.node_cert_days)

    def wait_ready(self, state: ClusterState, spec: ClusterSpec, node: Node) -> None:
        self.parts.swarm.wait_ready(state, [node])

    def start_replacement(self, state: ClusterState, spec: ClusterSpec, new: Node) -> None:
        self.start_nodes(state, spec, [new])

    def start_nodes(self, state: ClusterState, spec: ClusterSpec, nodes: list[Node]) -> None:
        self.parts.nodes.ensure_running(state, nodes, spec.ca, spec.node_cert_days)
        self.parts.swarm.ensure_joined(state, nodes)

    def remove_workers(
        self, state: ClusterState, spec: ClusterSpec, leaving: list[Node], events: list[str]
    ) -> None:
        resize.remove_workers(self.parts, state, leaving, events)

    def replace_master(
        self, state: ClusterState, spec: ClusterSpec, node: Node, events: list[str]
    ) -> Node:
        """Remove the lost manager first (the others keep quorum, checked by the caller),
        then a new one joins: the raft group is never larger than before."""
        new = state.add_node(MANAGER, spec.name)
        node.removing = True
        self.save(state)  # a repeated call finishes this replacement
        self.remove_managers(state, [node], events)
        self.start_nodes(state, spec, [new])  # joins as a manager, and is ready
        events.append(f"replaced manager {node.hostname} ({node.address}) by {new.hostname}")
        return new

    def remove_managers(self, state: ClusterState, leaving: list[Node], events: list[str]) -> None:
        """Demote and remove the managers `leaving` from the swarm, and tear them down."""
        if not leaving:
            return
        with self.parts.swarm.manager(state) as api:
            for node in leaving:
                if node.swarm_id:
                    swarm.remove_manager(api, node.swarm_id, self.parts.settings.start_timeout)
        events += self.parts.nodes.teardown(state, leaving, graceful=True)
        for node in leaving:
            state.nodes.remove(node)
            self.save(state)

    def save(self, state: ClusterState) -> None:
        self.parts.store.save(state)

    def complete(self, state: ClusterState, reason: str, events: list[str]) -> DriverResult:
        return results.complete(self.parts.store, state, reason, events)
