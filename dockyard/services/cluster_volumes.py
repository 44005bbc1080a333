"""Volumes in local Swarm clusters: `volume_driver = rexray` served by Dockyard's plugin."""

from __future__ import annotations

from dockyard.domain.engines import EngineSocket
from dockyard.services.runtime import Runtime


def engine_sockets(rt: Runtime) -> list[EngineSocket]:
    """Plugin sockets of the nodes of rexray-enabled local clusters (not built yet: none)."""
    return []
