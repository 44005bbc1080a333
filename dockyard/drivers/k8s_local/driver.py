"""The `k8s_local` driver: real Kubernetes 1.20 clusters on this machine.

Each master and node is a network namespace on the cluster's bridge with its own PID and
mount namespace, running Debian's etcd (masters), the Kubernetes components built from
Debian's sources by scripts/build-kubernetes, and a dockerd the kubelet drives through
dockershim. The API is served on https://127.0.0.1:<port> by a per-cluster haproxy that
balances over the masters. Nodes have no default route (the network rule of swarm_local).
Calls are synchronous and idempotent (see the package docstring for the module map).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.drivers.base import (
    ClusterInventory,
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
    volumes,
)
from dockyard.drivers.k8s_local.nodes import KubeNodes
from dockyard.drivers.k8s_local.settings import KubeSettings
from dockyard.drivers.swarm_local.checks import HostProblems
from dockyard.drivers.swarm_local.driver_base import DriverModules, LocalDriverBase
from dockyard.drivers.swarm_local.settings import LocalSettings

OS_DISTRO = "dockyard-node"


class LocalKubernetesDriver(LocalDriverBase):
    """Kubernetes clusters of namespaced nodes on this machine; the calls common to both
    local drivers are in LocalDriverBase (swarm_local/driver_base.py)."""

    modules = DriverModules(provisioning, resize, removal, cert_rollout, health, healing)
    refused_as = "The local Kubernetes driver"

    backend: ClassVar[str] = "Kubernetes nodes on this machine"
    provides: ClassVar[tuple[Provides, ...]] = (Provides("vm", OS_DISTRO, "kubernetes"),)

    def __init__(self, settings: KubeSettings | None = None) -> None:
        self.settings = settings or KubeSettings(LocalSettings(state_dir="./var/local_driver"))
        self._host = HostProblems(lambda: checks.host_problems(self.settings))

    @property
    def nodes(self) -> KubeNodes:
        return KubeNodes(self.settings)

    @property
    def target(self) -> KubeNodes:
        return self.nodes

    def configure(self, conf: Any) -> None:
        self.settings = options.register(conf)

    def unmet_requirements(self, template: Mapping[str, Any] | None = None) -> list[str]:
        """Root, docker.io, the Kubernetes build, etcd, CNI plugins and haproxy; then what
        `template` asks for that local Kubernetes clusters do not have."""
        found = self._host()
        if template is not None and not found:
            found = checks.template_problems(template)
        return found

    def host_problems(self) -> list[str]:
        return self._host()

    def validate_master_count(self, master_count: int, master_lb_enabled: bool) -> None:
        """1 or 3 masters; the cluster's haproxy always fronts them, so no LB is needed."""
        if master_count not in (1, checks.MAX_MASTERS):
            raise exceptions.InvalidParameterValue(
                f"local Kubernetes clusters have 1 or {checks.MAX_MASTERS} masters, "
                f"not {master_count}"
            )

    def resume(self, ctx: RequestContext, inventory: ClusterInventory) -> list[str]:
        if not inventory.running:
            return []  # swarm_local sweeps orphans of the shared state_dir
        try:
            self.check_host()
        except exceptions.NotSupported as exc:
            return [f"local Kubernetes clusters not resumed: {exc}"]
        return recovery.resume(self.nodes, inventory)

    def plugin_endpoints(
        self, driver_state: Mapping[str, Any]
    ) -> list[tuple[str, str, str | None]]:
        """(node name, plugin dir, None) of each node: where Dockyard's volume plugin puts
        the node's socket for the `dockyard/volume` FlexVolume driver (volumes.py)."""
        return volumes.plugin_endpoints(self.nodes, driver_state)
