"""The health of a settled local Kubernetes cluster: its API, load balancer and nodes."""

from __future__ import annotations

from dockyard.domain.status import HealthStatus
from dockyard.drivers.base import ClusterSpec, Health
from dockyard.drivers.k8s_local.nodes import KubeNodes
from dockyard.providers.kube_local.api import KubeApiError, node_ready


def check_health(nodes: KubeNodes, spec: ClusterSpec) -> Health | None:
    """One reason per node (its supervisor, then its Ready condition) and for the API."""
    state = nodes.load(spec)
    if state is None or not state.nodes:
        return None
    reason: dict[str, str] = {}
    names = tuple(n.hostname for n in state.live_nodes)
    for node in state.live_nodes:
        reason[node.hostname] = (
            "Ready" if nodes.running(node) else f"the node is not running (pid {node.pid})"
        )
    # What healing can bring back: nodes whose supervisor died, then those the API reports
    # not Ready.
    down = {name: why for name, why in reason.items() if why != "Ready"}
    if not nodes.lb_running(state):
        reason["api"] = f"the API load balancer is not running (pid {state.lb_pid})"
        return Health(HealthStatus.UNHEALTHY.value, reason, names, down)
    try:
        with nodes.api(state, spec, timeout=5) as api:
            problem = api.healthy()
            listed = api.nodes() if problem is None else {}
    except KubeApiError as exc:
        problem = str(exc)
        listed = {}
    reason["api"] = problem or "ok"
    for node in state.live_nodes:
        entry = listed.get(node.hostname)
        condition = "not registered" if entry is None else node_ready(entry)
        if condition is None or problem is not None:
            continue
        down.setdefault(node.hostname, condition)
        if reason[node.hostname] == "Ready":
            reason[node.hostname] = condition
        else:
            reason[node.hostname] += f"; {condition}"
    healthy = all(v in ("Ready", "ok") for v in reason.values())
    status = HealthStatus.HEALTHY if healthy else HealthStatus.UNHEALTHY
    return Health(status.value, reason, names, down)
