"""Removing a local Kubernetes cluster: its load balancer, then swarm_local's teardown."""

from __future__ import annotations

import contextlib
import os

from dockyard.drivers.base import ClusterSpec, DriverResult, Outcome
from dockyard.drivers.k8s_local.nodes import KubeNodes


def delete(nodes: KubeNodes, spec: ClusterSpec) -> DriverResult:
    """Remove everything the cluster has; deleting what is already gone succeeds."""
    with nodes.store.cluster_lock(spec.uuid) as lock_path:
        state = nodes.load(spec)
        problems: list[str] = []
        if state is not None:
            problems = nodes.stop_lb(state)
            problems += nodes.base.teardown_cluster(state)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
    reason = "deleted" if not problems else "deleted; left behind: " + "; ".join(problems)
    return DriverResult(Outcome.COMPLETE, reason=reason, driver_state={}, events=problems)
