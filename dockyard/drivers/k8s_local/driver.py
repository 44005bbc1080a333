"""The `k8s_local` driver: real Kubernetes 1.20 clusters on this machine.

Each master and node is a network namespace on the cluster's bridge with its own PID and
mount namespace, running Debian's etcd (masters), the Kubernetes components built from
Debian's sources by scripts/build-kubernetes, and a dockerd the kubelet drives through
dockershim. The API is served on https://127.0.0.1:<port> by a per-cluster haproxy that
balances over the masters. Nodes have no default route (the network rule of swarm_local).
Calls are synchronous and idempotent (see the package docstring for the module map).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.drivers.base import (
    ClusterDriver,
    ClusterInventory,
    ClusterSpec,
    DriverResult,
    Health,
    NodeGroupSpec,
    Provides,
)
from dockyard.drivers.k8s_local import (
    cert_rollout,
    checks,
    healing,
    health,
    options,
    provisioning,
    recovery,
    removal,
    resize,
)
from dockyard.drivers.k8s_local.nodes import KubeNodes
from dockyard.drivers.k8s_local.settings import KubeSettings
from dockyard.drivers.swarm_local.checks import HostProblems, refuse
from dockyard.drivers.swarm_local.settings import LocalSettings

OS_DISTRO = "dockyard-node"


class LocalKubernetesDriver(ClusterDriver):
    """Kubernetes clusters of namespaced nodes on this machine."""

    backend: ClassVar[str] = "Kubernetes nodes on this machine"
    provides: ClassVar[tuple[Provides, ...]] = (Provides("vm", OS_DISTRO, "kubernetes"),)

    def __init__(self, settings: KubeSettings | None = None) -> None:
        self.settings = settings or KubeSettings(LocalSettings(state_dir="./var/local_driver"))
        self._host = HostProblems(lambda: checks.host_problems(self.settings))

    @property
    def nodes(self) -> KubeNodes:
        return KubeNodes(self.settings)

    def configure(self, conf: Any) -> None:
        self.settings = options.register(conf)

    def unmet_requirements(self, template: Mapping[str, Any] | None = None) -> list[str]:
        """Root, docker.io, the Kubernetes build, etcd, CNI plugins and haproxy; then what
        `template` asks for that local Kubernetes clusters do not have."""
        found = self._host()
        if template is not None and not found:
            found = checks.template_problems(template)
        return found

    def check_host(self) -> None:
        refuse("The local Kubernetes driver", self._host())

    def validate_master_count(self, master_count: int, master_lb_enabled: bool) -> None:
        """1 or 3 masters; the cluster's haproxy always fronts them, so no LB is needed."""
        if master_count not in (1, checks.MAX_MASTERS):
            raise exceptions.InvalidParameterValue(
                f"local Kubernetes clusters have 1 or {checks.MAX_MASTERS} masters, "
                f"not {master_count}"
            )

    def create_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        self.check_host()
        return provisioning.create(self.nodes, spec)

    def resize_cluster(
        self,
        ctx: RequestContext,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: list[str],
    ) -> DriverResult:
        self.check_host()
        return resize.resize(self.nodes, spec, nodegroup, node_count, nodes_to_remove)

    def delete_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        return removal.delete(self.nodes, spec)

    def create_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """The group's nodes start, get Ready, labelled and tainted (resize.py, groups.py)."""
        self.check_host()
        return resize.create_nodegroup(self.nodes, spec, nodegroup)

    def update_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """The group's nodes get its current labels and taints (groups.py)."""
        self.check_host()
        return resize.relabel_nodegroup(self.nodes, spec, nodegroup)

    def delete_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """The group's nodes are cordoned, drained, deleted and torn down (resize.py)."""
        self.check_host()
        return resize.delete_nodegroup(self.nodes, spec, nodegroup)

    def rotate_ca(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        self.check_host()
        return cert_rollout.rotate_ca(self.nodes, spec)

    def renew_certificates(
        self, ctx: RequestContext, spec: ClusterSpec, issued_before: dt.datetime
    ) -> DriverResult:
        self.check_host()
        return cert_rollout.renew_certificates(self.nodes, spec, issued_before)

    def resume(self, ctx: RequestContext, inventory: ClusterInventory) -> list[str]:
        if not inventory.running:
            return []  # swarm_local sweeps orphans of the shared state_dir
        try:
            self.check_host()
        except exceptions.NotSupported as exc:
            return [f"local Kubernetes clusters not resumed: {exc}"]
        return recovery.resume(self.nodes, inventory)

    def check_health(self, ctx: RequestContext, spec: ClusterSpec) -> Health | None:
        return health.check_health(self.nodes, spec)

    def heal(self, ctx: RequestContext, spec: ClusterSpec, nodes: Sequence[str]) -> DriverResult:
        """Down nodes restarted and Ready again, workers replaced (healing.py)."""
        self.check_host()
        return healing.heal(self.nodes, spec, nodes)
