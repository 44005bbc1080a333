"""The pieces every local-driver operation works with, built from the driver's settings."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.drivers.swarm_local.cluster_registry import ClusterRegistry
from dockyard.drivers.swarm_local.cluster_swarm import ClusterSwarm
from dockyard.drivers.swarm_local.layout import StateStore
from dockyard.drivers.swarm_local.nodes import NodeManager
from dockyard.drivers.swarm_local.settings import LocalSettings


@dataclass(frozen=True, slots=True)
class DriverParts:
    """Settings, state files, nodes and swarm calls of the local driver."""

    settings: LocalSettings
    store: StateStore
    nodes: NodeManager
    swarm: ClusterSwarm

    @classmethod
    def build(cls, settings: LocalSettings) -> DriverParts:
        """The parts for `settings`."""
        store = StateStore(settings)
        nodes = NodeManager(settings, store)
        return cls(settings, store, nodes, ClusterSwarm(settings, store, nodes))

    @property
    def registry(self) -> ClusterRegistry:
        """The cluster registries (registry_enabled)."""
        return self.nodes.registry
