"""Which engine sockets Dockyard's volume plugin serves on this host.

The plugin server calls `local_engines` periodically and serves exactly that set: container
hosts (services.container_hosts) and the nodes of local Swarm clusters whose template has
`volume_driver = rexray` (services.cluster_volumes).
"""

from __future__ import annotations

from dockyard.domain.engines import EngineSocket
from dockyard.services import cluster_volumes, container_hosts
from dockyard.services.runtime import Runtime


def local_engines(rt: Runtime) -> list[EngineSocket]:
    """Every engine on this host that should find the `dockyard` volume plugin."""
    return container_hosts.engine_sockets(rt) + cluster_volumes.engine_sockets(rt)
