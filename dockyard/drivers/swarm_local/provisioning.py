"""Creating a local cluster: its state, network, registry, nodes and swarm.

Each step is an "ensure" and the state is saved before anything is made, so a create that is
repeated after a crash continues where the last one stopped.
"""

from __future__ import annotations

from dockyard.drivers.base import ClusterSpec, DriverResult
from dockyard.drivers.swarm_local import checks, engine, groups, results, steps
from dockyard.drivers.swarm_local.parts import DriverParts


def create(parts: DriverParts, spec: ClusterSpec) -> DriverResult:
    """Build the cluster `spec` describes (or finish building it)."""
    checks.check_create(parts.settings, spec)
    events: list[str] = []
    with parts.store.cluster_lock(spec.uuid):
        state = parts.store.existing_state(spec.uuid, spec.driver_state)
        if state is None:
            storage = engine.storage_driver(spec.template, parts.settings.storage_driver, events)
            state = parts.nodes.new_state(
                spec.uuid, not spec.tls_disabled, storage, engine.volume_gib(spec)
            )
            engine.apply_template(state, spec.template, spec.labels)
        groups.plan_nodes(state, spec)
        parts.store.save(state)
        live = state.live_nodes  # removals are resize's to finish
        progress = steps.counter(spec, len(live), extra=1)
        parts.nodes.ensure_network(state)
        parts.registry.ensure_wanted(state, spec.ca)
        progress.step(f"cluster network {state.subnet} ready")
        on_step = steps.for_nodes(progress)
        parts.nodes.ensure_running(state, live, spec.ca, spec.node_cert_days, on_step)
        parts.swarm.ensure_joined(state, live, on_step)
        parts.swarm.ensure_labels(state, groups.wanted_labels(spec, live))
        parts.store.save(state)
    reason = (
        f"{len(state.managers)} manager(s) and {len(state.workers)} worker(s) in swarm "
        f"mode, Docker {state.engine_version}"
    )
    return results.complete(parts.store, state, reason, events, spec)
