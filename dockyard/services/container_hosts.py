"""Container hosts: Dockyard-managed Docker engines that run the container API's containers.

There is one per Dockyard installation on this machine, named by `[containers] host_name`.
It is started on demand (the first container request) and again when Dockyard starts, if it
ran before; its dockerd runs in its own session, so it outlives the process that started it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from dockyard.common import exceptions
from dockyard.db.repositories import containers as container_repo
from dockyard.domain.engines import PLUGIN_NAME, EngineSocket
from dockyard.providers.docker_local import host
from dockyard.providers.docker_local.host_engine import (
    HostEngine,
    HostEngineError,
    HostEngineSettings,
    HostStatus,
)
from dockyard.providers.docker_local.image import base_image
from dockyard.services import cluster_volumes, volume_plugin, volumes
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)


def settings(rt: Runtime) -> HostEngineSettings:
    """The container host's settings from `[containers]`."""
    opts = rt.conf.containers
    state_dir = opts.state_dir or os.path.join(
        os.path.abspath(rt.conf.state_path), "container_hosts", opts.host_name
    )
    return HostEngineSettings(
        name=opts.host_name,
        state_dir=state_dir,
        run_dir=opts.run_dir,
        dockerd=opts.dockerd,
        busybox=opts.busybox,
        storage_driver=opts.storage_driver,
        start_timeout=float(opts.start_timeout),
        shutdown_timeout=int(opts.shutdown_timeout),
    )


def engine(rt: Runtime) -> HostEngine:
    """The container host (an object over its files; nothing is started)."""
    return HostEngine(settings(rt))


def engine_name(rt: Runtime) -> str:
    """How volume attachments name the container host's engine."""
    return f"host:{rt.conf.containers.host_name}"


def engine_sockets(rt: Runtime) -> list[EngineSocket]:
    """Plugin sockets of the container hosts this process runs: the one host, when enabled."""
    if not rt.conf.containers.enabled:
        return []
    host_engine = engine(rt)
    return [
        EngineSocket(
            path=os.path.join(host_engine.plugins_dir, f"{PLUGIN_NAME}.sock"),
            engine=engine_name(rt),
            project_id=None,
            docker_url=host_engine.docker_url,
        )
    ]


def check_enabled(rt: Runtime) -> None:
    """400 when the container API is switched off or this machine cannot run the host."""
    if not rt.conf.containers.enabled:
        raise exceptions.NotSupported(operation="The container API ([containers] enabled)")
    opts = rt.conf.containers
    found = host.problems(opts.dockerd, opts.busybox)
    if found:
        raise exceptions.NotSupported(
            "The container host cannot run on this machine: " + "; ".join(found) + "."
        )


def ensure_running(rt: Runtime) -> HostStatus:
    """Start the container host unless it runs, with the base image loaded into it."""
    check_enabled(rt)
    # Volume mounts made later must propagate into the engine's mount namespace.
    volumes.prepare_host(rt)
    try:
        return engine(rt).ensure_running(base_image(rt.conf.containers.busybox))
    except HostEngineError as exc:
        raise exceptions.DockyardError(f"The container host did not start: {exc}") from exc


def client(rt: Runtime) -> Any:
    """A docker SDK client on the running container host (started if needed)."""
    ensure_running(rt)
    return engine(rt).client()


def resume(rt: Runtime) -> str | None:
    """At Dockyard start: bring back a container host that ran before (after a machine
    restart, or a killed dockerd). Returns what was done, or None."""
    if not rt.conf.containers.enabled:
        return None
    host_engine = engine(rt)
    if not host_engine.exists():
        return None
    before = host_engine.status()
    if before.answers:
        return None
    status = ensure_running(rt)
    return f"container host {rt.conf.containers.host_name} started again (pid {status.pid})"


def destroy(rt: Runtime, *, force: bool = False) -> list[str]:
    """Remove the container host for good: its dockerd, containers, images, namespace and
    files. The volumes its containers had mounted are unmounted (they stay, available), and
    `volumes.prepare_host` is undone unless a local cluster's engines still depend on it.

    409 while the database still lists containers on the host, unless `force` (they then
    show Error, gone from the host). Returns what was left behind.
    """
    with rt.db.read() as session:
        listed = [r.name for r in container_repo.on_host(session, rt.conf.containers.host_name)]
    if listed and not force:
        raise exceptions.Conflict(
            f"The container host still has {len(listed)} container(s) ({', '.join(listed[:5])}):"
            " delete them first, or force."
        )
    problems = engine(rt).destroy()
    problems += volume_plugin.forget_engine(rt, engine_name(rt))
    others = cluster_volumes.engine_sockets(rt)
    if others:
        LOG.info("the volumes' root stays shared: %d cluster engine(s) use it", len(others))
    else:
        problems += volumes.release_host(rt)
    return problems
