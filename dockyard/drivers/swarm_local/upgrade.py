"""Upgrading a local cluster: another template's node settings, applied by rolling restarts.

The settings are engine.py's (labels, registry, storage driver, volume driver); Docker's
version does not change, as the machine has one docker.io. The order of the restarts is
rolling.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec, DriverResult
from dockyard.drivers.swarm_local import checks, engine, results, rolling
from dockyard.drivers.swarm_local.layout import ClusterState, Node
from dockyard.drivers.swarm_local.parts import DriverParts
from dockyard.providers.docker_local import procs, swarm
from dockyard.providers.docker_local.image import base_image


def upgrade(
    parts: DriverParts, spec: ClusterSpec, template: Mapping[str, Any], max_batch: int
) -> DriverResult:
    """Apply `template`'s node settings by restarting the nodes from their data-roots,
    `max_batch` workers at a time.

    Each group is drained (swarm moves its tasks to the other nodes), its dockerds are
    restarted with the new daemon.json, it is back in the swarm, and it is made active
    again. Managers go one at a time, the leader last. A node already running the new
    settings is left alone, so a call repeated after a crash finishes the job.
    """
    checks.check_upgrade(parts.settings, spec, template)
    events: list[str] = []
    with parts.store.cluster_lock(spec.uuid):
        state = parts.store.existing_state(spec.uuid, spec.driver_state)
        if state is None:
            raise exceptions.NotSupported("Upgrading a local cluster that was never created")
        labels = dict(template.get("labels") or {})
        state.storage_driver = engine.storage_driver(
            template, parts.settings.storage_driver, events
        )
        engine.apply_template(state, template, labels)
        parts.store.save(state)
        parts.nodes.ensure_network(state)
        parts.registry.ensure_wanted(state, spec.ca)
        live = state.live_nodes
        stale = [
            n
            for n in live
            if n.config_digest != parts.nodes.config_digest(state, n) or not parts.nodes.running(n)
        ]
        for group in rolling.batches(stale, max_batch, parts.swarm.leaders(state)):
            _restart_drained(parts, state, group, spec)
            events.append("upgraded together: " + ", ".join(n.hostname for n in group))
        parts.swarm.wait_ready(state, live)
        parts.store.save(state)
    reason = (
        f"upgraded to template {template.get('name') or state.template_id}; "
        f"nodes restarted with its settings: {results.hostnames(stale)}"
    )
    return results.complete(parts.store, state, reason, events)


def _restart_drained(
    parts: DriverParts, state: ClusterState, group: list[Node], spec: ClusterSpec
) -> None:
    """Drain `group`, restart its dockerds with the current settings, activate it.

    A node that is down (the sole manager, after a failed attempt) has nothing to drain.
    """
    running = [n for n in group if n.swarm_id and parts.nodes.running(n)]
    if running:
        with parts.swarm.manager(state) as api:
            # One node at a time, each until its tasks run elsewhere (swarm.drain_moved).
            for node in running:
                swarm.drain_moved(api, node.swarm_id or "", parts.settings.drain_timeout)
    refs = [r for r in (parts.nodes.ref(n) for n in group) if r is not None]
    procs.terminate(refs, timeout=parts.settings.shutdown_timeout + 10.0)
    parts.nodes.ensure_running(state, group, spec.ca, spec.node_cert_days)
    image = base_image(parts.settings.busybox)  # gone from a node whose storage changed
    for node in group:
        parts.nodes.ensure_image(state, node, image)
    parts.swarm.wait_ready(state, group)
    with parts.swarm.manager(state) as api:
        for node in group:
            if node.swarm_id:
                swarm.set_availability(api, node.swarm_id, "active")
