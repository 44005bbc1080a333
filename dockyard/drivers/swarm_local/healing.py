"""Healing a local cluster: nodes that stay down come back from their data-roots, and a worker
that does not is replaced by a new one.

A node whose dockerd still runs but that swarm reports down is stopped first, so it restarts
like a dead one. Nodes are restarted one at a time, so healing never stops more than one
manager at once; a manager is never removed or replaced (that would cost the raft group a
member), so healing keeps the managers' quorum, and a manager that does not come back fails
the heal with the reason. A replacement is recorded (new node added, old one marked
`removing`) before anything changes, so a call repeated after a crash finishes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec, DriverResult, Outcome, StepCounter
from dockyard.drivers.swarm_local import groups, resize, results
from dockyard.drivers.swarm_local.layout import WORKER, ClusterState, Node
from dockyard.drivers.swarm_local.parts import DriverParts
from dockyard.providers.docker_local import procs, swarm

# Steps per node healed: restarted (or replaced), then ready.
PER_NODE = 2


def heal(parts: DriverParts, spec: ClusterSpec, wanted: Sequence[str]) -> DriverResult:
    """Bring back the nodes named in `wanted` (hostnames) and every node found dead."""
    events: list[str] = []
    with parts.store.cluster_lock(spec.uuid):
        state = parts.store.existing_state(spec.uuid, spec.driver_state)
        if state is None:
            raise exceptions.NotSupported("Healing a local cluster that was never created")
        if state.tls and spec.ca is None:
            raise ValueError("the cluster has TLS enabled but no CA was given")
        parts.nodes.ensure_network(state)
        parts.registry.ensure_wanted(state, spec.ca)
        _finish_replacements(parts, state, spec, events)
        targets = _still_down(parts, state, wanted)
        steps = StepCounter(spec.progress, total=PER_NODE * len(targets))
        restarted: list[str] = []
        replaced: list[str] = []
        lost: list[str] = []
        for node in targets:
            try:
                _restart(parts, state, spec, node)
                steps.step(f"{node.hostname}: restarted from its data-root")
                parts.swarm.wait_ready(state, [node])
                steps.step(f"{node.hostname}: ready")
                restarted.append(node.hostname)
            except Exception as exc:
                events.append(f"{node.hostname} did not come back from its data-root: {exc}")
                if node.role != WORKER:
                    lost.append(node.hostname)
                    continue
                new = _replace(parts, state, spec, node, events)
                steps.step(f"{node.hostname}: replaced by {new.hostname}")
                steps.step(f"{new.hostname}: ready")
                replaced.append(f"{node.hostname} by {new.hostname}")
        parts.store.save(state)
    done = []
    if restarted:
        done.append(f"restarted {', '.join(restarted)} from their data-roots")
    if replaced:
        done.append(f"replaced {', '.join(replaced)}")
    if lost:
        reason = (
            f"manager(s) {', '.join(lost)} did not come back and are not replaced (that "
            "would cost the managers' quorum a member): see the events"
        )
        failed = results.complete(parts.store, state, reason, events)
        failed.outcome = Outcome.FAILED
        return failed
    reason = "healed: " + ("; ".join(done) if done else "every node was running again")
    return results.complete(parts.store, state, reason, events)


def _still_down(parts: DriverParts, state: ClusterState, wanted: Sequence[str]) -> list[Node]:
    """The live nodes whose dockerd is dead, and those of `wanted` that swarm does not list
    as ready now (a node that came back meanwhile is left alone)."""
    try:
        with parts.swarm.manager(state) as api:
            ready = {n.id for n in swarm.nodes(api) if n.state == "ready"}
    except Exception:
        ready = set()  # no manager answers: every wanted node is still down for all we know
    return [
        n
        for n in state.live_nodes
        if not parts.nodes.running(n) or (n.hostname in wanted and n.swarm_id not in ready)
    ]


def _restart(parts: DriverParts, state: ClusterState, spec: ClusterSpec, node: Node) -> None:
    """Stop `node` if its dockerd runs (swarm reports it down), then start it again."""
    ref = parts.nodes.ref(node)
    if ref is not None and procs.alive(ref):
        procs.terminate([ref], timeout=parts.settings.shutdown_timeout + 10.0)
    parts.nodes.ensure_running(state, [node], spec.ca, spec.node_cert_days)


def _replace(
    parts: DriverParts, state: ClusterState, spec: ClusterSpec, node: Node, events: list[str]
) -> Node:
    """A new worker joins in place of `node`, which is then drained and removed."""
    nodegroup = groups.group_of(spec, node)
    new = (
        state.add_node(WORKER, spec.name)
        if nodegroup is None
        else groups.add_node(state, spec, nodegroup)  # the replacement joins the same pool
    )
    node.removing = True
    parts.store.save(state)  # a repeated call finishes this replacement
    parts.nodes.ensure_running(state, [new], spec.ca, spec.node_cert_days)
    parts.swarm.ensure_joined(state, [new])
    resize.remove_workers(parts, state, [node], events)
    events.append(f"replaced worker {node.hostname} ({node.address}) by {new.hostname}")
    return new


def _finish_replacements(
    parts: DriverParts, state: ClusterState, spec: ClusterSpec, events: list[str]
) -> None:
    """What an interrupted call left: its new worker started and joined, the old one gone."""
    unjoined = [n for n in state.live_nodes if not n.swarm_id]
    if unjoined:
        parts.nodes.ensure_running(state, unjoined, spec.ca, spec.node_cert_days)
        parts.swarm.ensure_joined(state, unjoined)
    resize.remove_workers(parts, state, [n for n in state.nodes if n.removing], events)
