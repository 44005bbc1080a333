"""The Docker engines Dockyard runs on this host, as its volume plugin sees them."""

from __future__ import annotations

from dataclasses import dataclass

PLUGIN_NAME = "dockyard"
"""The volume driver name engines know Dockyard's plugin by (`docker volume create -d dockyard`)."""


@dataclass(frozen=True)
class EngineSocket:
    """One engine's private plugin socket, and who may use volumes through it.

    `path` is `<the engine's plugin dir>/dockyard.sock`; the engine finds it because that dir is
    bound over the engine's /run/docker/plugins. `engine` names the engine in attachment records:
    "host:<name>" for a container host, "cluster:<uuid>/<node>" for a local Swarm node.
    `project_id` scopes volume names to one project (a cluster's); None means the engine is
    shared (a container host) and volumes are named by uuid. `preempt` is rexray_preempt: whether
    this engine may take over a volume another engine has mounted.
    `docker_url` and `tls` (ca, cert, key paths) let the plugin ask the engine which containers
    use a volume, to reconcile attachments after a restart.
    """

    path: str
    engine: str
    project_id: str | None = None
    preempt: bool = False
    docker_url: str | None = None
    tls: tuple[str, str, str] | None = None
