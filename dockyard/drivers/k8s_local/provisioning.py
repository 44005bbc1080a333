"""Creating a local Kubernetes cluster: state, networks, load balancer, nodes, Ready.

Each step is an "ensure" and the state is saved before anything is made, so a create that is
repeated after a crash continues where the last one stopped.
"""

from __future__ import annotations

from collections.abc import Callable

from dockyard.drivers.base import ClusterSpec, DriverResult, StepCounter
from dockyard.drivers.k8s_local import checks, groups, results
from dockyard.drivers.k8s_local.layout import KubeState
from dockyard.drivers.k8s_local.nodes import PER_NODE, KubeNodes, cluster_cas
from dockyard.drivers.swarm_local import engine, steps
from dockyard.drivers.swarm_local import groups as node_groups
from dockyard.drivers.swarm_local.layout import Node
from dockyard.providers.docker_local import daemon


def create(nodes: KubeNodes, spec: ClusterSpec) -> DriverResult:
    """Build the cluster `spec` describes (or finish building it)."""
    checks.check_create(spec)
    cas = cluster_cas(spec)
    with nodes.store.cluster_lock(spec.uuid):
        state = nodes.load(spec)
        if state is None:
            state = nodes.new_state(spec, engine.volume_gib(spec))
        node_groups.plan_nodes(state, spec)
        nodes.store.save(state)
        live = state.live_nodes
        progress = StepCounter(spec.progress, total=2 + PER_NODE * len(live))
        on_step = steps.for_nodes(progress)
        nodes.ensure_network(state)
        progress.step(f"cluster network {state.subnet} ready")
        nodes.ensure_lb(state)
        progress.step(f"API load balancer on 127.0.0.1:{state.api_port}")
        nodes.ensure_running(state, live, cas, spec.node_cert_days, on_step)
        nodes.wait_ready(state, spec, live, nodegroup_labels(spec), on_step=on_step)
        with nodes.api(state, spec) as api:
            groups.ensure(api, spec, live)
        state.kube_version = nodes.settings.binaries.version
        state.engine_version = engine_version(nodes, state, live[0])
        nodes.store.save(state)
    reason = (
        f"{len(state.managers)} master(s) and {len(state.workers)} node(s) Ready, "
        f"Kubernetes {state.kube_version}"
    )
    return results.complete(nodes, state, reason, spec=spec)


def nodegroup_labels(spec: ClusterSpec) -> Callable[[Node], dict[str, str]]:
    """The labels each node gets from its nodegroup (groups.py)."""
    return groups.labeller(spec)


def engine_version(nodes: KubeNodes, state: KubeState, node: Node) -> str | None:
    """The Docker version of `node`'s engine (None when it does not answer)."""
    api = daemon.client(nodes.engine(state, node), timeout=10)
    try:
        return str(api.version().get("Version"))
    except Exception:
        return None
    finally:
        api.close()
