"""The base of the two local drivers (k8s_local builds on this package): each call checks
the host, then goes to the module of the driver's package that does it (the same module and
function names in both packages)."""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any, ClassVar, NamedTuple

from dockyard.common.context import RequestContext
from dockyard.drivers.base import ClusterDriver, ClusterSpec, DriverResult, Health, NodeGroupSpec
from dockyard.drivers.swarm_local.checks import refuse


class DriverModules(NamedTuple):
    """A local driver's modules: `provisioning.create`, `resize.resize|create_nodegroup|
    relabel_nodegroup|delete_nodegroup`, `removal.delete`, `cert_rollout.rotate_ca|
    renew_certificates`, `health.check_health` and `healing.heal`, each taking the driver's
    `target` first."""

    provisioning: ModuleType
    resize: ModuleType
    removal: ModuleType
    cert_rollout: ModuleType
    health: ModuleType
    healing: ModuleType


class LocalDriverBase(ClusterDriver):
    """What the Swarm and Kubernetes local drivers do alike."""

    modules: ClassVar[DriverModules]
    #: The driver as a refusal names it ("The local cluster driver").
    refused_as: ClassVar[str]

    @property
    @abstractmethod
    def target(self) -> object:
        """What the driver's modules take first (node manager, or the driver's parts)."""

    @abstractmethod
    def host_problems(self) -> list[str]:
        """What this host lacks for the driver (cached; empty when nothing)."""

    def check_host(self) -> None:
        refuse(self.refused_as, self.host_problems())

    @abstractmethod
    def plugin_endpoints(
        self, driver_state: Mapping[str, Any]
    ) -> list[tuple[str, str, str | None]]:
        """(node name, plugin dir, docker URL or None) of each node Dockyard's volume plugin
        serves, from the cluster's driver_state: where the plugin puts the node's socket."""

    def create_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        self.check_host()
        return self._call(self.modules.provisioning.create, spec)

    def resize_cluster(
        self,
        ctx: RequestContext,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: list[str],
    ) -> DriverResult:
        self.check_host()
        return self._call(self.modules.resize.resize, spec, nodegroup, node_count, nodes_to_remove)

    def delete_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        return self._call(self.modules.removal.delete, spec)

    def create_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """The group's new workers start with its labels (the driver's resize.py)."""
        self.check_host()
        return self._call(self.modules.resize.create_nodegroup, spec, nodegroup)

    def update_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """The group's nodes get its current labels (and taints, where the COE has them)."""
        self.check_host()
        return self._call(self.modules.resize.relabel_nodegroup, spec, nodegroup)

    def delete_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """The group's nodes are drained, removed and torn down (the driver's resize.py)."""
        self.check_host()
        return self._call(self.modules.resize.delete_nodegroup, spec, nodegroup)

    def rotate_ca(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        """Node certificates from the new CA, nodes restarted (cert_rollout.py)."""
        self.check_host()
        return self._call(self.modules.cert_rollout.rotate_ca, spec)

    def renew_certificates(
        self, ctx: RequestContext, spec: ClusterSpec, issued_before: dt.datetime
    ) -> DriverResult:
        """New node certificates from the same CA, nodes restarted (cert_rollout.py)."""
        self.check_host()
        return self._call(self.modules.cert_rollout.renew_certificates, spec, issued_before)

    def check_health(self, ctx: RequestContext, spec: ClusterSpec) -> Health | None:
        found: Health | None = self.modules.health.check_health(self.target, spec)
        return found

    def heal(self, ctx: RequestContext, spec: ClusterSpec, nodes: Sequence[str]) -> DriverResult:
        """Down nodes restarted from their directories, workers replaced (healing.py)."""
        self.check_host()
        return self._call(self.modules.healing.heal, spec, nodes)

    def _call(self, function: object, *args: object) -> DriverResult:
        assert callable(function)
        result = function(self.target, *args)
        assert isinstance(result, DriverResult)
        return result
