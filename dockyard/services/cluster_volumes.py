"""Volumes in local Swarm clusters: `volume_driver = rexray` served by Dockyard's plugin.

Each node of such a cluster gets the plugin's socket in its private plugin dir (bound over
the node's /run/docker/plugins), named for the node, scoped to the cluster's project, and
with the cluster's `rexray_preempt` label deciding whether the node may take over a volume
another node holds.
"""

from __future__ import annotations

import os

from dockyard.db.repositories import clusters as cluster_repo
from dockyard.domain.engines import PLUGIN_NAME, EngineSocket
from dockyard.drivers.swarm_local.driver import LocalDriver
from dockyard.services.runtime import Runtime

DRIVER = "local"


def engine_sockets(rt: Runtime) -> list[EngineSocket]:
    """Plugin sockets of the nodes of rexray-enabled local clusters."""
    driver = rt.drivers.drivers.get(DRIVER)
    if not isinstance(driver, LocalDriver):
        return []  # the local driver is not enabled in this process
    with rt.db.read() as session:
        clusters = [
            (c.uuid, c.project_id, dict(c.labels or {}), dict(c.driver_state or {}))
            for c in cluster_repo.with_volume_driver(session, DRIVER, "rexray")
        ]
    sockets = []
    for uuid, project_id, labels, driver_state in clusters:
        preempt = str(labels.get("rexray_preempt", "false")).lower() == "true"
        for node, plugins_dir, docker_url in driver.plugin_endpoints(driver_state):
            sockets.append(
                EngineSocket(
                    path=os.path.join(plugins_dir, f"{PLUGIN_NAME}.sock"),
                    engine=f"cluster:{uuid}/{node}",
                    project_id=project_id,
                    preempt=preempt,
                    docker_url=docker_url,
                )
            )
    return sockets
