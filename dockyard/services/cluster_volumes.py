"""Nodes of local clusters that Dockyard's volume plugin serves.

- Swarm (`local` driver) clusters whose template says `volume_driver = rexray`: each node's
  engine finds the plugin's socket in its private plugin dir (bound over the node's
  /run/docker/plugins), and the cluster's `rexray_preempt` label decides whether a node may
  take over a volume another node holds.
- Every Kubernetes (`k8s_local`) cluster: the nodes' `dockyard/volume` FlexVolume driver
  calls the plugin through the same socket when the kubelet mounts a pod's volume
  (docs/local-kubernetes.md, "Volumes for pods").

Each socket is named for its node and scoped to the cluster's project.
"""

from __future__ import annotations

import os

from dockyard.db.repositories import clusters as cluster_repo
from dockyard.domain.engines import PLUGIN_NAME, EngineSocket
from dockyard.drivers.swarm_local.driver_base import LocalDriverBase
from dockyard.services.runtime import Runtime

#: Cluster driver -> the template `volume_driver` whose clusters get the plugin (None: all).
SERVED_DRIVERS: dict[str, str | None] = {"local": "rexray", "k8s_local": None}


def engine_sockets(rt: Runtime) -> list[EngineSocket]:
    """Plugin sockets of the nodes of the local clusters the plugin serves."""
    sockets = []
    for name, volume_driver in SERVED_DRIVERS.items():
        driver = rt.drivers.drivers.get(name)
        if not isinstance(driver, LocalDriverBase):
            continue  # that driver is not enabled in this process
        with rt.db.read() as session:
            clusters = [
                (c.uuid, c.project_id, dict(c.labels or {}), dict(c.driver_state or {}))
                for c in cluster_repo.live_of_driver(session, name, volume_driver)
            ]
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
