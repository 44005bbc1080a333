"""Resizing a worker nodegroup of a local Kubernetes cluster; creating a nodegroup grows it
from nothing, deleting one shrinks it to nothing (every node drained first), relabelling one
sets its nodes' labels and taints (groups.py).

New workers start, join and must report Ready. Workers that go are chosen as Magnum does
(nodes the user named, then nodes without pods, then those with the fewest pods; newest
first among equals: swarm_local's `scaling`), cordoned, drained through the eviction API,
deleted from the cluster and torn down. A node marked `removing` is saved before it is
touched, so a resize repeated after a crash finishes the removals it had decided on.
"""

from __future__ import annotations

import time

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec, DriverResult, NodeGroupSpec, StepCounter
from dockyard.drivers.k8s_local import groups, results
from dockyard.drivers.k8s_local.layout import KubeState
from dockyard.drivers.k8s_local.nodes import PER_NODE, KubeNodes, cluster_cas
from dockyard.drivers.k8s_local.provisioning import nodegroup_labels
from dockyard.drivers.swarm_local import groups as node_groups
from dockyard.drivers.swarm_local import scaling, steps
from dockyard.drivers.swarm_local.layout import Node
from dockyard.providers.kube_local.api import KubeApi, KubeApiError


def resize(
    nodes: KubeNodes,
    spec: ClusterSpec,
    nodegroup: NodeGroupSpec,
    node_count: int,
    nodes_to_remove: list[str],
) -> DriverResult:
    """Make the worker nodegroup have `node_count` nodes, removing `nodes_to_remove` first."""
    _, _, events, busy, state = _resize(nodes, spec, nodegroup, node_count, nodes_to_remove)
    # "workers scaled from ... to ..." is the conductor's, from the request (runner.requested):
    # `before` counts the nodes an interrupted call had already added.
    reason = "" if nodegroup.is_default else f"nodegroup {nodegroup.name}"
    reason = (reason + _busy(busy)).removeprefix("; ")
    return results.complete(nodes, state, reason, events, spec=spec)


def create_nodegroup(nodes: KubeNodes, spec: ClusterSpec, nodegroup: NodeGroupSpec) -> DriverResult:
    """Start the nodes of a new nodegroup, Ready and labelled (or finish doing so)."""
    _, after, events, busy, state = _resize(nodes, spec, nodegroup, nodegroup.node_count, [])
    reason = f"nodegroup {nodegroup.name}: {after} node(s) Ready"
    return results.complete(nodes, state, reason + _busy(busy), events, spec=spec)


def delete_nodegroup(nodes: KubeNodes, spec: ClusterSpec, nodegroup: NodeGroupSpec) -> DriverResult:
    """Cordon, drain and remove every node of a nodegroup; a group already gone is fine."""
    before, _, events, busy, state = _resize(nodes, spec, nodegroup, 0, [])
    reason = f"nodegroup {nodegroup.name}: {before} node(s) drained and removed"
    return results.complete(nodes, state, reason + _busy(busy), events, spec=spec)


def relabel_nodegroup(
    nodes: KubeNodes, spec: ClusterSpec, nodegroup: NodeGroupSpec
) -> DriverResult:
    """Give the nodes of a nodegroup its current labels and taints."""
    with nodes.store.cluster_lock(spec.uuid):
        state = nodes.load(spec)
        if state is None:
            raise exceptions.NotSupported("Relabelling a local cluster that was never created")
        members = [n for n in node_groups.members(state, nodegroup) if not n.removing]
        with nodes.api(state, spec) as api:
            changed = groups.ensure(api, spec, members)
    reason = f"nodegroup {nodegroup.name}: {changed} change(s) to {len(members)} node(s)"
    return results.complete(nodes, state, reason, spec=spec)


def _busy(busy: list[str]) -> str:
    if not busy:
        return ""
    return f"; {len(busy)} removed node(s) were running pods: {', '.join(busy)}"


def _resize(
    nodes: KubeNodes,
    spec: ClusterSpec,
    nodegroup: NodeGroupSpec,
    node_count: int,
    nodes_to_remove: list[str],
) -> tuple[int, int, list[str], list[str], KubeState]:
    """Make `nodegroup` have `node_count` nodes: (before, after, timeline events, hostnames of
    removed nodes that ran pods, state)."""
    if nodegroup.role == "master":
        raise exceptions.NotSupported("Resizing the master nodegroup of a local cluster")
    cas = cluster_cas(spec)
    events: list[str] = []
    with nodes.store.cluster_lock(spec.uuid):
        state = nodes.load(spec)
        if state is None:
            raise exceptions.NotSupported("Resizing a local cluster that was never created")
        nodes.ensure_network(state)
        nodes.ensure_lb(state)
        nodes.ensure_running(state, state.live_nodes, cas, spec.node_cert_days)
        with nodes.api(state, spec) as api:
            # Removals an interrupted call had decided on are finished first.
            busy = remove_workers(nodes, state, api, [n for n in state.nodes if n.removing], events)
            members = node_groups.members(state, nodegroup)
            before = len(members)
            on_step: steps.NodeStep = steps.no_step
            if node_count > before:
                added = [
                    node_groups.add_node(state, spec, nodegroup) for _ in range(node_count - before)
                ]
                nodes.store.save(state)
                progress = StepCounter(spec.progress, total=PER_NODE * len(added))
                on_step = steps.for_nodes(progress)
                nodes.ensure_running(state, added, cas, spec.node_cert_days, on_step)
            elif node_count < before:
                pods = {n.name: api.pods_on(n.hostname) for n in members}
                victims = scaling.choose_victims(
                    members, before - node_count, nodes_to_remove, pods
                )
                for node in victims:
                    node.removing = True
                nodes.store.save(state)
                busy += remove_workers(nodes, state, api, victims, events)
        nodes.wait_ready(state, spec, state.live_nodes, nodegroup_labels(spec), on_step=on_step)
        members = node_groups.members(state, nodegroup)
        with nodes.api(state, spec) as api:
            groups.ensure(api, spec, members)
        nodes.ensure_routes(state)
        nodes.store.save(state)
    return before, len(members), events, busy, state


def remove_workers(
    nodes: KubeNodes, state: KubeState, api: KubeApi, victims: list[Node], events: list[str]
) -> list[str]:
    """Cordon, drain, delete and tear down `victims`; the hostnames that still ran pods."""
    if not victims:
        return []
    busy: list[str] = []
    timeout = nodes.settings.drain_timeout
    for node in victims:
        try:
            api.cordon(node.hostname)
            pods = api.pods_on(node.hostname)
        except KubeApiError:
            pods = []  # not registered (or already deleted): nothing to drain
        if not pods:
            continue
        busy.append(node.hostname)
        for pod in pods:
            api.evict(pod)
        left = _wait_drained(api, node.hostname, timeout)
        note = (
            "drained first: their controllers rescheduled them elsewhere"
            if not left
            else f"{len(left)} still there after {timeout:.0f}s of draining, stopped with the node"
        )
        events.append(
            f"Removed worker {node.hostname} ({node.address}) that was running {len(pods)} "
            f"pod(s) ({', '.join(pods)}); {note}"
        )
    for node in victims:
        try:
            api.delete_node(node.hostname)
        except KubeApiError as exc:
            events.append(f"{node.hostname}: not deleted from the API ({exc})")
    events.extend(nodes.base.teardown(state, victims, graceful=True))
    for node in victims:
        state.nodes.remove(node)
        nodes.store.save(state)
    return busy


def _wait_drained(api: KubeApi, hostname: str, timeout: float) -> list[str]:
    """Wait until every workload pod of `hostname` is evicted (being deleted: its controller
    has made a replacement elsewhere); those left at `timeout`. The node's teardown ends
    the evicted ones that are still in their grace period."""
    deadline = time.monotonic() + timeout
    left = api.pods_on(hostname, terminating=False)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = api.pods_on(hostname, terminating=False)
    return left
