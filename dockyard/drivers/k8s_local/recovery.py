"""What a conductor start does for local Kubernetes clusters: restart dead nodes and load
balancers; orphans are swept as swarm_local sweeps them (both share the state_dir)."""

from __future__ import annotations

import time

from dockyard.drivers.base import ClusterInventory, ClusterSpec
from dockyard.drivers.k8s_local.nodes import KubeNodes, cluster_cas
from dockyard.drivers.k8s_local.provisioning import nodegroup_labels
from dockyard.drivers.swarm_local import removal
from dockyard.drivers.swarm_local.parts import DriverParts


def resume(nodes: KubeNodes, inventory: ClusterInventory) -> list[str]:
    """Restart what is down in this driver's running clusters; sweep clusters of the
    state_dir that the database does not know (swarm_local's rule: never on an empty one)."""
    running = {spec.uuid: spec for spec in inventory.running}
    reports: list[str] = []
    for uuid in nodes.store.cluster_uuids():
        try:
            if uuid in running:
                line = restart_dead(nodes, running[uuid])
            elif inventory.known and uuid not in inventory.known:
                parts = DriverParts.build(nodes.settings.local)
                line = removal.sweep_orphan(parts, uuid, inventory.listed_at)
            else:
                line = None
        except Exception as exc:
            line = f"cluster {uuid}: {exc.__class__.__name__}: {exc}"
        if line:
            reports.append(line)
    return reports


def restart_dead(nodes: KubeNodes, spec: ClusterSpec) -> str | None:
    """Start the cluster's dead nodes and load balancer again from their directories."""
    with nodes.store.cluster_lock(spec.uuid):
        state = nodes.load(spec)
        if state is None:
            return None
        down = [n for n in state.live_nodes if not nodes.running(n)]
        lb_down = not nodes.lb_running(state)
        if not down and not lb_down:
            return None
        if spec.ca is None:
            return f"cluster {spec.uuid}: {len(down)} node(s) down, not restarted: no CA"
        started_at = time.time()
        nodes.ensure_network(state)
        nodes.ensure_lb(state)
        nodes.ensure_running(state, state.live_nodes, cluster_cas(spec), spec.node_cert_days)
        if down:
            nodes.wait_ready(state, spec, down, nodegroup_labels(spec), started_at)
        nodes.store.save(state)
    names = [n.hostname for n in down] + (["the API load balancer"] if lb_down else [])
    return f"cluster {spec.uuid} ({spec.name}): restarted {', '.join(names)}"
