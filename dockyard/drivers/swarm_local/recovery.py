"""What a conductor start does for local clusters: restart dead nodes, sweep orphans.

Only clusters with a directory in the driver's state_dir are looked at: other services (or
test runs) on this machine have their own and are never touched.
"""

from __future__ import annotations

from dockyard.drivers.base import ClusterInventory, ClusterSpec
from dockyard.drivers.swarm_local import removal
from dockyard.drivers.swarm_local.parts import DriverParts


def resume(parts: DriverParts, on_disk: list[str], inventory: ClusterInventory) -> list[str]:
    """Restart the dead nodes of the running clusters among `on_disk` (the clusters of this
    state_dir) and sweep those the database forgot; one line per thing done.

    An empty database sweeps nothing: with clusters here, a database mix-up is more likely
    than orphans, and data is never destroyed on that guess.
    """
    running = {spec.uuid: spec for spec in inventory.running}
    reports: list[str] = []
    for uuid in on_disk:
        try:
            if uuid in running:
                line = restart_dead(parts, running[uuid])
            elif not inventory.known:
                line = (
                    f"cluster {uuid} is not in the database, which has no clusters at all: "
                    f"left alone (remove {parts.store.cluster_dir(uuid)} after deleting its "
                    "nodes, or restore the database)"
                )
            elif uuid not in inventory.known:
                line = removal.sweep_orphan(parts, uuid, inventory.listed_at)
            else:
                line = None  # being deleted: its delete operation finishes the job
        except Exception as exc:
            line = f"cluster {uuid}: {exc.__class__.__name__}: {exc}"
        if line:
            reports.append(line)
    return reports


def restart_dead(parts: DriverParts, spec: ClusterSpec) -> str | None:
    """Start the cluster's dead nodes and registry again from their data-roots (after a
    machine restart); a line for the log, or None when all were running."""
    with parts.store.cluster_lock(spec.uuid):
        state = parts.store.load(spec.uuid)
        if state is None:
            return None
        live = state.live_nodes
        down = [n for n in live if not parts.nodes.running(n)]
        registry_down = state.registry and not parts.registry.running(state)
        if not down and not registry_down:
            return None
        if state.tls and spec.ca is None:
            return f"cluster {spec.uuid}: {len(down)} node(s) down, not restarted: no CA"
        parts.nodes.ensure_network(state)
        parts.registry.ensure_wanted(state, spec.ca)
        parts.nodes.ensure_running(state, live, spec.ca, spec.node_cert_days)
        parts.swarm.wait_ready(state, [n for n in live if n.swarm_id])
        parts.store.save(state)
    names = ", ".join([n.hostname for n in down] + (["the registry"] if registry_down else []))
    return f"cluster {spec.uuid} ({spec.name}): restarted {names} from their data-roots"
