"""Resizing a worker nodegroup of a local cluster: new nodes join, chosen ones are drained
and go. Creating a nodegroup is growing it from nothing, deleting one is shrinking it to
nothing (every node drained first), and relabelling one sets its nodes' swarm labels.

Which workers go is scaling.py's choice. A node marked `removing` is saved before it is
touched, so a resize repeated after a crash finishes the removals it had decided on.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec, DriverResult, NodeGroupSpec
from dockyard.drivers.swarm_local import groups, results, scaling, steps
from dockyard.drivers.swarm_local.layout import ClusterState, Node
from dockyard.drivers.swarm_local.parts import DriverParts
from dockyard.providers.docker_local import swarm


class Resized(NamedTuple):
    """What a resize of one nodegroup did."""

    before: int
    after: int
    #: Lines for the timeline (removed nodes that were running tasks).
    events: list[str]
    #: Hostnames of removed nodes that were running tasks.
    warned: list[str]
    state: ClusterState

    @property
    def warning(self) -> str:
        """The end of a reason line about removed nodes that ran tasks ("" for none)."""
        if not self.warned:
            return ""
        return f"; {len(self.warned)} removed node(s) were running tasks: {', '.join(self.warned)}"


def resize(
    parts: DriverParts,
    spec: ClusterSpec,
    nodegroup: NodeGroupSpec,
    node_count: int,
    nodes_to_remove: list[str],
) -> DriverResult:
    """Make the worker nodegroup have `node_count` nodes, removing `nodes_to_remove` first."""
    done = _resize(parts, spec, nodegroup, node_count, nodes_to_remove)
    # "workers scaled from ... to ..." is the conductor's, from the request (runner.requested):
    # `done.before` counts the nodes an interrupted call had already added.
    reason = "" if nodegroup.is_default else f"nodegroup {nodegroup.name}"
    reason = (reason + done.warning).removeprefix("; ")
    return results.complete(parts.store, done.state, reason, done.events, spec)


def create_nodegroup(
    parts: DriverParts, spec: ClusterSpec, nodegroup: NodeGroupSpec
) -> DriverResult:
    """Build the nodes of a new nodegroup (or finish building them)."""
    done = _resize(parts, spec, nodegroup, nodegroup.node_count, [])
    reason = f"nodegroup {nodegroup.name}: {done.after} worker(s) joined, labelled " + ", ".join(
        f"{k}={v}" for k, v in sorted(nodegroup.labels_for_nodes.items())
    )
    return results.complete(parts.store, done.state, reason + done.warning, done.events, spec)


def delete_nodegroup(
    parts: DriverParts, spec: ClusterSpec, nodegroup: NodeGroupSpec
) -> DriverResult:
    """Drain and remove every node of a nodegroup; a group already gone is fine."""
    done = _resize(parts, spec, nodegroup, 0, [])
    reason = f"nodegroup {nodegroup.name}: {done.before} worker(s) drained and removed"
    return results.complete(parts.store, done.state, reason + done.warning, done.events, spec)


def relabel_nodegroup(
    parts: DriverParts, spec: ClusterSpec, nodegroup: NodeGroupSpec
) -> DriverResult:
    """Give the nodes of a nodegroup its current labels."""
    with parts.store.cluster_lock(spec.uuid):
        state = _state(parts, spec)
        members = [n for n in groups.members(state, nodegroup) if not n.removing]
        changed = parts.swarm.ensure_labels(state, groups.wanted_labels(spec, members))
    reason = f"nodegroup {nodegroup.name}: labels set on {changed} of {len(members)} node(s)"
    return results.complete(parts.store, state, reason, [], spec)


def _state(parts: DriverParts, spec: ClusterSpec) -> ClusterState:
    state = parts.store.existing_state(spec.uuid, spec.driver_state)
    if state is None:
        raise exceptions.NotSupported("Resizing a local cluster that was never created")
    return state


def _resize(
    parts: DriverParts,
    spec: ClusterSpec,
    nodegroup: NodeGroupSpec,
    node_count: int,
    nodes_to_remove: list[str],
) -> Resized:
    """Make `nodegroup` have `node_count` nodes."""
    if nodegroup.role == "master":
        raise exceptions.NotSupported("Resizing the master nodegroup of a local cluster")
    events: list[str] = []
    with parts.store.cluster_lock(spec.uuid):
        state = _state(parts, spec)
        parts.nodes.ensure_network(state)
        live = state.live_nodes
        parts.nodes.ensure_running(state, live, spec.ca, spec.node_cert_days)
        unjoined = [n for n in live if not n.swarm_id]
        if unjoined:  # added by an interrupted call
            parts.swarm.ensure_joined(state, unjoined)
        # Removals an interrupted call had decided on are finished first.
        warned = remove_workers(parts, state, [n for n in state.nodes if n.removing], events)
        members = groups.members(state, nodegroup)
        before = len(members)
        if node_count > before:
            added = [groups.add_node(state, spec, nodegroup) for _ in range(node_count - before)]
            parts.store.save(state)
            on_step = steps.for_nodes(steps.counter(spec, len(added)))
            parts.nodes.ensure_running(state, added, spec.ca, spec.node_cert_days, on_step)
            parts.swarm.ensure_joined(state, added, on_step)
        elif node_count < before:
            with parts.swarm.manager(state) as api:
                by_id = swarm.running_tasks(api)
            tasks = {n.name: by_id.get(n.swarm_id or "", []) for n in members}
            victims = scaling.choose_victims(members, before - node_count, nodes_to_remove, tasks)
            for node in victims:
                node.removing = True
            parts.store.save(state)
            warned += remove_workers(parts, state, victims, events)
        members = groups.members(state, nodegroup)
        parts.swarm.ensure_labels(state, groups.wanted_labels(spec, members))
        parts.store.save(state)
    return Resized(before, len(members), events, warned, state)


def remove_workers(
    parts: DriverParts, state: ClusterState, victims: list[Node], events: list[str]
) -> list[str]:
    """Drain, stop and remove `victims`; returns the hostnames that still ran tasks."""
    if not victims:
        return []
    warned: list[str] = []
    with parts.swarm.manager(state) as api:
        by_id = swarm.running_tasks(api)  # before draining, which starts stopping them
        for node in victims:
            if node.swarm_id:
                with contextlib.suppress(Exception):  # already gone from the swarm
                    swarm.drain(api, node.swarm_id)
        for node in victims:
            tasks = by_id.get(node.swarm_id or "", [])
            if not tasks:
                continue
            warned.append(node.hostname)
            timeout = parts.settings.drain_timeout
            if not parts.nodes.running(node):
                note = "its dockerd was not running; swarm reschedules them"
            elif swarm.wait_no_tasks(api, node.swarm_id or "", timeout):
                note = f"still running after {timeout:.0f}s of draining, stopped with the node"
            else:
                note = "drained first: swarm rescheduled them"
            events.append(
                f"Removed worker {node.hostname} ({node.address}) that was running "
                f"{len(tasks)} task(s) ({', '.join(tasks)}); {note}"
            )
        for node in victims:
            if parts.nodes.running(node):
                with contextlib.suppress(Exception):
                    worker_api = parts.nodes.client(state, node, timeout=10)
                    try:
                        swarm.leave(worker_api)
                    finally:
                        worker_api.close()
        events += parts.nodes.teardown(state, victims, graceful=True)
        for node in victims:
            if node.swarm_id:
                with contextlib.suppress(Exception):
                    swarm.remove(api, node.swarm_id)
            state.nodes.remove(node)
            parts.store.save(state)
    return warned
