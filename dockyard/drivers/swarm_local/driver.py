"""The `local` driver: real Docker swarm-mode clusters on this machine.

Each node is a network namespace with its own dockerd (own data-root, exec-root, /etc/docker,
hostname), attached by a veth to a per-cluster bridge on a /24 of the configured address
pool. The cluster's API is published on tcp://127.0.0.1:<port> (TLS from the cluster CA unless
the template disables TLS), served by every manager at once: when one dies, the others keep
answering (see providers/docker_local/daemon.py). Nodes have no default route: they reach
their cluster and nothing else. See dockyard.providers.docker_local for the machinery.

Calls are synchronous (COMPLETE or FAILED in the first call) and idempotent: state is saved
before each step that creates something, so a call repeated after a crash continues.
`LocalDriver` checks the host and hands each call to the module that does it (see the
package docstring for the map).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.drivers.base import (
    ClusterInventory,
    ClusterSpec,
    DriverResult,
    NodeGroupSpec,
    Provides,
)
from dockyard.drivers.swarm_local import (
    cert_rollout,
    checks,
    engine,
    healing,
    health,
    options,
    provisioning,
    recovery,
    removal,
    resize,
    upgrade,
    volume_plugin,
)
from dockyard.drivers.swarm_local.driver_base import DriverModules, LocalDriverBase
from dockyard.drivers.swarm_local.layout import StateStore
from dockyard.drivers.swarm_local.nodes import NodeManager
from dockyard.drivers.swarm_local.parts import DriverParts
from dockyard.drivers.swarm_local.settings import LocalSettings

OS_DISTRO = "dockyard-node"


class LocalDriver(LocalDriverBase):
    """Swarm-mode clusters of dockerd-in-a-namespace nodes on this machine; the calls common
    to both local drivers are in LocalDriverBase (swarm_local/driver_base.py)."""

    modules = DriverModules(provisioning, resize, removal, cert_rollout, health, healing)
    refused_as = "The local cluster driver"

    backend: ClassVar[str] = "dockerds on this machine"
    provides: ClassVar[tuple[Provides, ...]] = (
        Provides("vm", OS_DISTRO, "swarm-mode"),
        Provides("vm", OS_DISTRO, "swarm"),
    )
    # The guide's swarm templates name fedora-atomic-latest: where no usable Heat driver
    # provides that, local nodes build it (the image is never booted; nodes are dockerds).
    stands_in_for: ClassVar[tuple[Provides, ...]] = (
        Provides("vm", "fedora-atomic", "swarm-mode"),
        Provides("vm", "fedora-atomic", "swarm"),
    )

    def __init__(self, settings: LocalSettings | None = None) -> None:
        self.settings = settings or LocalSettings(state_dir="./var/local_driver")
        self._host = checks.HostProblems(lambda: checks.host_problems(self.settings))

    @property
    def store(self) -> StateStore:
        """The cluster state files of this driver's state_dir."""
        return StateStore(self.settings)

    @property
    def nodes(self) -> NodeManager:
        """The node lifecycle (network, certificates, dockerds, teardown)."""
        return NodeManager(self.settings, self.store)

    @property
    def _parts(self) -> DriverParts:
        return DriverParts.build(self.settings)

    @property
    def target(self) -> DriverParts:
        return self._parts

    def configure(self, conf: Any) -> None:
        self.settings = options.register(conf)

    def validate_labels(self, coe: str, labels: Mapping[str, object]) -> dict[str, str]:
        checked = super().validate_labels(coe, labels)
        engine.check_labels(checked)
        return checked

    def unmet_requirements(self, template: Mapping[str, Any] | None = None) -> list[str]:
        """Root, docker.io and the address pool; then what `template` asks for (rexray's
        volume root, loop devices for docker_volume_size, the registry's image)."""
        found = self._host()
        if template is not None and not found:
            found = checks.template_problems(self.settings, template)
        return found

    def host_problems(self) -> list[str]:
        return self._host()

    def check_nodegroup(self, coe: str, nodegroup: NodeGroupSpec) -> None:
        if nodegroup.node_taints:
            raise exceptions.NotSupported(
                operation="node_taints on a swarm cluster (swarm has no taints; use node_labels "
                "and placement constraints)"
            )

    def upgrade_cluster(
        self, ctx: RequestContext, spec: ClusterSpec, template: Mapping[str, Any], max_batch: int
    ) -> DriverResult:
        """`template`'s node settings, applied by rolling restarts (upgrade.py)."""
        self.check_host()
        return upgrade.upgrade(self._parts, spec, template, max_batch)

    def resume(self, ctx: RequestContext, inventory: ClusterInventory) -> list[str]:
        """Restart the dead nodes of running clusters; sweep clusters the database forgot
        (recovery.py). Cheap when this state_dir has no cluster."""
        on_disk = self.store.cluster_uuids()
        if not on_disk:
            return []
        try:
            self.check_host()
        except exceptions.NotSupported as exc:
            return [f"local clusters not resumed: {exc}"]
        return recovery.resume(self._parts, on_disk, inventory)

    def plugin_endpoints(
        self, driver_state: Mapping[str, Any]
    ) -> list[tuple[str, str, str | None]]:
        """(node name, plugin dir, docker URL) of each node of a rexray cluster, from its
        driver_state: where Dockyard's volume plugin puts the node's socket."""
        return volume_plugin.plugin_endpoints(self.nodes, driver_state)
