"""Dockyard volumes for pods: where the volume plugin's socket goes for each node, for the
FlexVolume driver every node has (nodes.flex_driver_file; providers/kube_local/flexvolume.py
says how they meet)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.drivers.k8s_local.layout import KubeState
from dockyard.drivers.k8s_local.nodes import KubeNodes


def plugin_endpoints(
    nodes: KubeNodes, driver_state: Mapping[str, Any]
) -> list[tuple[str, str, str | None]]:
    """(node name, plugin dir, None) of each live node: the plugin serves the node's socket
    in the dir bound over its /run/docker/plugins, where the FlexVolume driver calls it.

    No docker URL: pods' containers bind-mount what the kubelet mounted, so the engine's
    containers never name the `dockyard` driver and reconciling by them would drop the
    attachments of running pods; the FlexVolume driver's records are the truth instead."""
    state = KubeState.from_driver_state(driver_state)
    if not isinstance(state, KubeState):
        return []
    return [(n.name, nodes.engine(state, n).plugins_dir, None) for n in state.live_nodes]
