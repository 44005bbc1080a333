"""Container hosts: Dockyard-managed Docker engines that run the container API's containers."""

from __future__ import annotations

from dockyard.domain.engines import EngineSocket
from dockyard.services.runtime import Runtime


def engine_sockets(rt: Runtime) -> list[EngineSocket]:
    """Plugin sockets of the container hosts this process runs (none until one is started)."""
    return []
