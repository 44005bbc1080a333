"""Which containers of an engine use which volumes of a volume plugin (docker SDK)."""

from __future__ import annotations

from typing import Any

from dockyard.providers.docker_local.daemon import API_VERSION

# Containers in these states hold their volumes mounted.
_HOLDING = ("running", "paused", "restarting")


def _client(docker_url: str, tls: tuple[str, str, str] | None) -> Any:
    import docker

    tls_config = None
    if tls is not None:
        ca, cert, key = tls
        tls_config = docker.tls.TLSConfig(client_cert=(cert, key), ca_cert=ca, verify=True)
    api = docker.DockerClient(base_url=docker_url, version=API_VERSION, timeout=30, tls=tls_config)
    api.api.trust_env = False
    return api


def volume_users(
    docker_url: str, tls: tuple[str, str, str] | None, driver: str
) -> dict[str, list[str]]:
    """Volume name -> ids of the containers that hold it mounted, for volumes of `driver`."""
    api = _client(docker_url, tls)
    try:
        found: dict[str, list[str]] = {}
        for container in api.api.containers(all=True):
            if container.get("State") not in _HOLDING:
                continue
            for mount in container.get("Mounts") or []:
                if mount.get("Type") == "volume" and mount.get("Driver") == driver:
                    found.setdefault(str(mount.get("Name")), []).append(str(container["Id"]))
        return found
    finally:
        api.close()


def introduce_plugin(docker_url: str, tls: tuple[str, str, str] | None, driver: str) -> None:
    """Make the engine call the legacy plugin `driver` once (a volume list through it).

    Swarm places a task that needs a volume driver only on nodes whose description lists that
    plugin, and dockerd lists a legacy plugin only once it has used it.
    """
    api = _client(docker_url, tls)
    try:
        api.api.volumes(filters={"driver": driver})
    finally:
        api.close()
