"""The health of a settled local cluster: its dockerds, its registry, its swarm, its plugin."""

from __future__ import annotations

from dockyard.domain.status import HealthStatus
from dockyard.drivers.base import ClusterSpec, Health
from dockyard.drivers.swarm_local.parts import DriverParts
from dockyard.drivers.swarm_local.volume_plugin import load_volume_plugin
from dockyard.providers.docker_local import swarm


def check_health(parts: DriverParts, spec: ClusterSpec) -> Health | None:
    """One reason per node (and for the registry and the API); None for a cluster that has
    no node yet. A rexray node is also made to load the volume plugin (volume_plugin.py)."""
    state = parts.store.existing_state(spec.uuid, spec.driver_state)
    if state is None or not state.nodes:
        return None
    reason: dict[str, str] = {}
    down: dict[str, str] = {}  # what healing can bring back
    unhealthy = False
    names = tuple(n.hostname for n in state.nodes)
    for node in state.nodes:
        if parts.nodes.running(node):
            reason[node.hostname] = "Ready"
        else:
            reason[node.hostname] = down[node.hostname] = f"dockerd is not running (pid {node.pid})"
            unhealthy = True
    if state.registry:
        if parts.registry.running(state):
            reason["registry"] = "Ready"
        else:
            reason["registry"] = f"the registry is not running (pid {state.registry_pid})"
            unhealthy = True
    try:
        api = parts.swarm.manager_api(state)
    except swarm.SwarmError as exc:
        reason["api"] = str(exc)
        return Health(HealthStatus.UNHEALTHY.value, reason, names, down)
    try:
        listed = {n.id: n for n in swarm.nodes(api)}
    finally:
        api.close()
    reason["api"] = "ok"
    if state.rexray:
        for node in (n for n in state.nodes if parts.nodes.running(n)):
            problem = load_volume_plugin(parts.nodes, state, node)
            if problem:
                reason[node.hostname] = f"volume plugin: {problem}"
                unhealthy = True
    for node in state.nodes:
        entry = listed.get(node.swarm_id or "")
        if entry is None:
            problem = "not a member of the swarm"
        elif entry.state != "ready":
            problem = f"swarm reports the node {entry.state}"
        else:
            continue
        unhealthy = True
        down.setdefault(node.hostname, problem)
        if reason[node.hostname] == "Ready":
            reason[node.hostname] = problem
        else:
            reason[node.hostname] += f"; {problem}"
    status = HealthStatus.UNHEALTHY if unhealthy else HealthStatus.HEALTHY
    return Health(status.value, reason, names, down)
