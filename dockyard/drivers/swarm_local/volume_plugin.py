"""Dockyard's volume plugin on the nodes of rexray clusters: where its sockets go, loading it.

The plugin server (services/volume_plugin.py) puts one socket per node in the node's plugin
dir, which is bound over the node's /run/docker/plugins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dockyard.domain.engines import PLUGIN_NAME
from dockyard.drivers.swarm_local.layout import ClusterState, Node
from dockyard.drivers.swarm_local.nodes import NodeManager


def plugin_endpoints(
    nodes: NodeManager, driver_state: Mapping[str, Any]
) -> list[tuple[str, str, str | None]]:
    """(node name, plugin dir, docker URL) of each node of a rexray cluster, from its
    driver_state: where Dockyard's volume plugin puts the node's socket."""
    state = ClusterState.from_driver_state(driver_state)
    if state is None or not state.rexray:
        return []
    found: list[tuple[str, str, str | None]] = []
    for node in state.live_nodes:
        cfg = nodes.config(state, node)
        found.append((node.name, cfg.plugins_dir, f"unix://{cfg.socket_path}"))
    return found


def load_volume_plugin(nodes: NodeManager, state: ClusterState, node: Node) -> str | None:
    """Make the node's dockerd load Dockyard's volume plugin; why it cannot, or None.

    Swarm places a task with a `volume-driver=dockyard` mount only on nodes whose
    description lists the plugin, and dockerd lists a legacy plugin once it used it: a
    volume list filtered by the driver loads it (and asks the plugin for its volumes).
    """
    socket = os.path.join(nodes.config(state, node).plugins_dir, f"{PLUGIN_NAME}.sock")
    if not os.path.exists(socket):
        return "not served yet"
    try:
        api = nodes.client(state, node, timeout=15)
        try:
            api.volumes.list(filters={"driver": PLUGIN_NAME})
        finally:
            api.close()
    except Exception as exc:
        return str(exc)
    return None
