"""Healing a local Kubernetes cluster: nodes that stay down (supervisor dead, or not Ready)
are restarted from their directories and must report Ready again; a worker that does not is
replaced by a new one (swarm_local's rules: one node at a time, masters restarted but never
removed, so etcd keeps its quorum; a replacement is recorded before anything changes)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec, DriverResult, Outcome, StepCounter
from dockyard.drivers.k8s_local import resize, results
from dockyard.drivers.k8s_local.layout import KubeState
from dockyard.drivers.k8s_local.nodes import KubeNodes, cluster_cas
from dockyard.drivers.k8s_local.provisioning import nodegroup_labels
from dockyard.drivers.swarm_local import groups
from dockyard.drivers.swarm_local.layout import WORKER, Node
from dockyard.providers.kube_local.api import node_ready

# Steps per node healed: restarted (or replaced), then Ready.
PER_NODE = 2


def heal(nodes: KubeNodes, spec: ClusterSpec, wanted: Sequence[str]) -> DriverResult:
    """Bring back the nodes named in `wanted` (hostnames) and every node found dead."""
    cas = cluster_cas(spec)
    events: list[str] = []
    with nodes.store.cluster_lock(spec.uuid):
        state = nodes.load(spec)
        if state is None:
            raise exceptions.NotSupported("Healing a local cluster that was never created")
        nodes.ensure_network(state)
        nodes.ensure_lb(state)
        _finish_replacements(nodes, state, spec, events)
        targets = _still_down(nodes, state, spec, wanted)
        steps = StepCounter(spec.progress, total=PER_NODE * len(targets))
        restarted: list[str] = []
        replaced: list[str] = []
        lost: list[str] = []
        for node in targets:
            try:
                started_at = time.time()
                nodes.stop(state, [node])  # a no-op for a dead node
                nodes.ensure_running(state, [node], cas, spec.node_cert_days)
                steps.step(f"{node.hostname}: restarted")
                nodes.wait_ready(state, spec, [node], nodegroup_labels(spec), started_at)
                steps.step(f"{node.hostname}: Ready")
                restarted.append(node.hostname)
            except Exception as exc:
                events.append(f"{node.hostname} did not come back: {exc}")
                if node.role != WORKER:
                    lost.append(node.hostname)
                    continue
                new = _replace(nodes, state, spec, node, events)
                steps.step(f"{node.hostname}: replaced by {new.hostname}")
                steps.step(f"{new.hostname}: Ready")
                replaced.append(f"{node.hostname} by {new.hostname}")
        nodes.store.save(state)
    done = []
    if restarted:
        done.append(f"restarted {', '.join(restarted)}")
    if replaced:
        done.append(f"replaced {', '.join(replaced)}")
    if lost:
        reason = (
            f"master(s) {', '.join(lost)} did not come back and are not replaced (that would "
            "cost etcd's quorum a member): see the events"
        )
        failed = results.complete(nodes, state, reason, events)
        failed.outcome = Outcome.FAILED
        return failed
    reason = "healed: " + ("; ".join(done) if done else "every node was running again")
    return results.complete(nodes, state, reason, events)


def _still_down(
    nodes: KubeNodes, state: KubeState, spec: ClusterSpec, wanted: Sequence[str]
) -> list[Node]:
    """The live nodes whose supervisor is dead, and those of `wanted` that the API does not
    report Ready now (a node that came back meanwhile is left alone)."""
    try:
        with nodes.api(state, spec, timeout=5) as api:
            listed = api.nodes()
        ready = {name for name, entry in listed.items() if node_ready(entry) is None}
    except Exception:
        ready = set()  # the API does not answer: every wanted node is still down
    return [
        n
        for n in state.live_nodes
        if not nodes.running(n) or (n.hostname in wanted and n.hostname not in ready)
    ]


def _replace(
    nodes: KubeNodes, state: KubeState, spec: ClusterSpec, node: Node, events: list[str]
) -> Node:
    """A new worker starts and gets Ready in place of `node`, which is then removed."""
    nodegroup = groups.group_of(spec, node)
    new = (
        state.add_node(WORKER, spec.name)
        if nodegroup is None
        else groups.add_node(state, spec, nodegroup)  # the replacement joins the same pool
    )
    node.removing = True
    nodes.store.save(state)  # a repeated call finishes this replacement
    _start_new(nodes, state, spec, [new])
    with nodes.api(state, spec) as api:
        resize.remove_workers(nodes, state, api, [node], events)
    events.append(f"replaced worker {node.hostname} ({node.address}) by {new.hostname}")
    return new


def _start_new(nodes: KubeNodes, state: KubeState, spec: ClusterSpec, new: list[Node]) -> None:
    started_at = time.time()
    nodes.ensure_running(state, new, cluster_cas(spec), spec.node_cert_days)
    nodes.wait_ready(state, spec, new, nodegroup_labels(spec), started_at)


def _finish_replacements(
    nodes: KubeNodes, state: KubeState, spec: ClusterSpec, events: list[str]
) -> None:
    """What an interrupted call left: the old workers it marked `removing` go (their
    replacements are among the live nodes, restarted with the others when dead)."""
    leaving = [n for n in state.nodes if n.removing]
    if leaving:
        with nodes.api(state, spec) as api:
            resize.remove_workers(nodes, state, api, leaving, events)
