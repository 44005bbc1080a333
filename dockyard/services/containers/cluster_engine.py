"""Containers on a local Swarm cluster: each one is a one-replica swarm service.

Why a service and not a plain container on a manager: the cluster's API address is served by
every manager at once (SO_REUSEPORT), so consecutive calls may reach different managers; a
service lives in the swarm's replicated state and every manager answers for it. Swarm also
places it on any node (workers too), and starts a task that did not complete again, on
another node if need be.
The price: `stop` scales the service to 0 and `start` back to 1, which starts a NEW task
container from the image (data on Dockyard volumes stays; the container's own filesystem does
not). The restart policy is on-failure (at most MAX_ATTEMPTS restarts): a command that exits 0
ends Stopped, a failure starts it again. See ADR 0014.

The endpoint mode is dnsrr (the machine's kernel has no IPVS for swarm's virtual IPs), and the
image is named by its ID, resolved on a manager, so no node ever tries a registry pull.
Volumes are named as the cluster's engines know them: by name, within the project.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from dockyard.common import exceptions
from dockyard.db.models import Container
from dockyard.db.repositories import volumes as volume_repo
from dockyard.domain import containers as domain
from dockyard.domain.containers import ContainerStatus
from dockyard.domain.engines import PLUGIN_NAME
from dockyard.services.containers import cluster_target
from dockyard.services.containers.engine import LABEL, Seen, engine_name, error_text
from dockyard.services.runtime import Runtime

GONE = "the container's service is gone from the cluster"
NOT_STARTED = Seen(ContainerStatus.CREATED.value, "not started", None)
STOPPED = Seen(ContainerStatus.STOPPED.value, "stopped", None)
CLUSTER_GONE = "its cluster was deleted"
MAX_ATTEMPTS = 3
# How long create and start wait for the task to run (or end), and stop beyond stop_timeout.
START_WAIT = 30.0
STOP_MARGIN = 15.0
_POLL = 0.25
_SECOND_NS = 1_000_000_000


def image_ref(api: Any, cluster: str, image: str) -> str:
    """The ID of `image` on the cluster (400 when the manager does not have it)."""
    from dockyard.providers.docker_local import sdk

    try:
        return str(api.images.get(image).id)
    except sdk.ImageNotFound:
        raise exceptions.InvalidParameterValue(
            err=f"Image {image} is not on cluster {cluster}: nothing is pulled from a registry; "
            "load it into every node first (the base image dockyard/busybox:1 is there)."
        ) from None


def _volume_names(rt: Runtime, row: Container) -> dict[str, str]:
    uuids = [m["source"] for m in row.mounts if m["type"] == "volume"]
    with rt.db.read() as session:
        return {u: volume_repo.get(session, u, row.project_id).name for u in uuids}


def _mounts(rt: Runtime, row: Container) -> list[Any]:
    from dockyard.providers.docker_local.sdk import DriverConfig, Mount

    names = _volume_names(rt, row)
    return [
        Mount(m["destination"], names[m["source"]], type="volume",
              read_only=bool(m.get("read_only")), driver_config=DriverConfig(PLUGIN_NAME))
        for m in row.mounts
    ]  # fmt: skip


# -- what the swarm reports ------------------------------------------------------------------
def _tasks(api: Any, service_id: str) -> list[dict[str, Any]]:
    return list(api.api.tasks(filters={"service": service_id}))


def _created(task: dict[str, Any]) -> str:
    """The task's CreatedAt in a form that sorts (Go trims trailing zeros of nanoseconds)."""
    stamp = str(task.get("CreatedAt", "")).rstrip("Z")
    seconds, _, fraction = stamp.partition(".")
    return f"{seconds}.{fraction.ljust(9, '0')}"


def _latest(tasks: list[dict[str, Any]]) -> dict[str, Any] | None:
    return max(tasks, key=_created, default=None)


def _replicas(service: Any) -> int:
    mode = service.attrs.get("Spec", {}).get("Mode", {})
    return int(mode.get("Replicated", {}).get("Replicas", 0))


def _hostnames(api: Any) -> dict[str, str]:
    return {n.id: n.attrs.get("Description", {}).get("Hostname", n.id) for n in api.nodes.list()}


def _seen(service: Any, task: dict[str, Any] | None, hostnames: dict[str, str], idle: Seen) -> Seen:
    """What the swarm reports; `idle` when the service is scaled to 0 and swarm has removed
    its task (and the task's container) already: then only Dockyard knows what happened."""
    if task is None and _replicas(service) == 0:
        return Seen(idle.status, idle.reason, service.id)
    node = hostnames.get(str(task.get("NodeID"))) if task else None
    status, reason = domain.from_swarm_task(task, node)
    return Seen(status.value, reason, service.id)


def _idle(before: Seen | None) -> Seen:
    """A stopped service's status: Created until it first ran, then Stopped as recorded."""
    if before is not None and before.status in (NOT_STARTED.status, ContainerStatus.STOPPED):
        return before
    return STOPPED


def _find(api: Any, container_uuid: str) -> Any | None:
    from dockyard.providers.docker_local import sdk

    try:
        return api.services.get(engine_name(container_uuid))
    except sdk.NotFound:
        return None


def _state(task: dict[str, Any] | None) -> str:
    return str((task or {}).get("Status", {}).get("State", "")).lower()


def _wait(api: Any, service: Any, done: Callable[[dict[str, Any] | None], bool],
          timeout: float, idle: Seen) -> Seen:  # fmt: skip
    """Poll the service's latest task until `done` says so or `timeout` passes; what the
    swarm reports then (`idle` for a service scaled to 0 without a task)."""
    deadline = time.monotonic() + timeout
    task = _latest(_tasks(api, service.id))
    while not done(task) and time.monotonic() < deadline:
        time.sleep(_POLL)
        task = _latest(_tasks(api, service.id))
    service.reload()
    return _seen(service, task, _hostnames(api), idle)


def _until_new_task_settles(known: set[str]) -> Callable[[dict[str, Any] | None], bool]:
    def done(task: dict[str, Any] | None) -> bool:
        if task is None or task.get("ID") in known:
            return False
        return _state(task) == "running" or _state(task) in domain.SWARM_FINAL

    return done


def _stopped(task: dict[str, Any] | None) -> bool:
    return task is None or _state(task) in domain.SWARM_FINAL


# -- create, start, stop, remove, logs -------------------------------------------------------
def create(rt: Runtime, api: Any, row: Container, image: str, *, start: bool) -> tuple[
    Seen | None, str | None
]:  # fmt: skip
    """Create the service for `row` with `image` (an ID), one replica if `start`, and wait
    for its task to run: (what the swarm reports or None, what it refused or None)."""
    from dockyard.providers.docker_local.sdk import (
        ContainerSpec,
        EndpointSpec,
        RestartPolicy,
        ServiceMode,
        TaskTemplate,
    )

    policy = RestartPolicy(condition="on-failure", delay=_SECOND_NS, max_attempts=MAX_ATTEMPTS)
    try:
        spec = ContainerSpec(
            image,
            args=row.command or None,
            env=dict(row.environment or {}) or None,
            labels={LABEL: row.uuid},
            mounts=_mounts(rt, row),
            stop_grace_period=int(rt.conf.containers.stop_timeout) * _SECOND_NS,
        )
        made = api.api.create_service(
            TaskTemplate(spec, restart_policy=policy),
            name=engine_name(row.uuid),
            labels={LABEL: row.uuid, "dockyard.project": row.project_id},
            mode=ServiceMode("replicated", replicas=1 if start else 0),
            endpoint_spec=EndpointSpec(mode="dnsrr"),
        )
        service = api.services.get(made["ID"])
        if not start:
            return _wait(api, service, _stopped, 0, NOT_STARTED), None
        return _wait(api, service, _until_new_task_settles(set()), START_WAIT, STOPPED), None
    except exceptions.DockyardError as exc:  # a volume deleted meanwhile
        return None, str(exc)
    except cluster_target.engine_errors() as exc:
        # What was made, if anything, is found again by the next sync.
        return None, error_text(exc)


def act(rt: Runtime, row: Container, action: str) -> tuple[Seen | None, str | None]:
    """Start (scale to 1, a new task) or stop (scale to 0) the container's service:
    (what the swarm reports then, or None when the service or its cluster is gone; what went
    wrong, or None)."""
    try:
        with cluster_target.connect(rt, str(row.cluster_id)) as api:
            service = _find(api, row.uuid)
            if service is None:
                return None, None
            known = {str(t.get("ID")) for t in _tasks(api, service.id)}
            service.scale(1 if action == "start" else 0)
            if action == "start":
                done = _until_new_task_settles(known)
                return _wait(api, service, done, START_WAIT, STOPPED), None
            timeout = int(rt.conf.containers.stop_timeout) + STOP_MARGIN
            return _wait(api, service, _stopped, timeout, STOPPED), None
    except cluster_target.ClusterGone:
        return None, None
    except exceptions.DockyardError as exc:  # no API address or certificate
        return None, str(exc)
    except cluster_target.engine_errors() as exc:
        return None, error_text(exc)


def remove(rt: Runtime, row: Container) -> str | None:
    """Stop the service's task (its volumes are unmounted when its container stops), then
    remove the service. Returns what went wrong, or None (also for a deleted cluster)."""
    from dockyard.providers.docker_local import sdk

    try:
        with cluster_target.connect(rt, str(row.cluster_id)) as api:
            service = _find(api, row.uuid)
            if service is None:
                return None
            if _replicas(service):
                service.scale(0)
            timeout = int(rt.conf.containers.stop_timeout) + STOP_MARGIN
            seen = _wait(api, service, _stopped, timeout, STOPPED)
            if seen.status == ContainerStatus.RUNNING.value:
                return f"its task did not stop within {timeout:.0f} s"
            service.remove()
            return None
    except cluster_target.ClusterGone:
        return None
    except sdk.NotFound:
        return None
    except exceptions.DockyardError as exc:  # no API address or certificate
        return str(exc)
    except cluster_target.engine_errors() as exc:
        return error_text(exc)


def logs(rt: Runtime, row: Container, tail: int | None) -> str:
    """The stdout and stderr of the service's tasks, as the swarm gathers them."""
    try:
        with cluster_target.connect(rt, str(row.cluster_id)) as api:
            service = _find(api, row.uuid)
            if service is None:
                raise exceptions.Conflict(
                    f"Container {row.name} has no logs: it is not on its cluster."
                )
            chunks = service.logs(stdout=True, stderr=True, tail="all" if tail is None else tail)
            return b"".join(chunks).decode("utf-8", "replace")
    except cluster_target.ClusterGone:
        raise exceptions.Conflict(f"Container {row.name} has no logs: {CLUSTER_GONE}.") from None
    except cluster_target.engine_errors() as exc:
        raise exceptions.Conflict(
            f"The cluster of container {row.name} did not give its logs: {error_text(exc)}"
        ) from None


# -- the status sync -------------------------------------------------------------------------
def expected(rt: Runtime, cluster_id: str, recorded: dict[str, Seen]) -> dict[str, Seen]:
    """What the rows `recorded` (containers of one cluster) should say, from the swarm.
    Unchanged while the cluster's API does not answer; Error once the cluster is deleted."""
    try:
        with cluster_target.connect(rt, cluster_id, timeout=15) as api:
            services = {s.attrs["Spec"]["Labels"].get(LABEL): s
                        for s in api.services.list(filters={"label": LABEL})}  # fmt: skip
            tasks: dict[str, list[dict[str, Any]]] = {}
            for task in api.api.tasks():
                tasks.setdefault(str(task.get("ServiceID")), []).append(task)
            hostnames = _hostnames(api)
    except cluster_target.ClusterGone:
        return {u: _missing(before, CLUSTER_GONE) for u, before in recorded.items()}
    except exceptions.DockyardError:  # no API address or certificate (yet)
        return dict(recorded)
    except cluster_target.engine_errors():
        return dict(recorded)  # the API does not answer: nothing is known, nothing changes
    result = {}
    for container_uuid, before in recorded.items():
        service = services.get(container_uuid)
        if service is None:
            result[container_uuid] = _missing(before, GONE)
        else:
            task = _latest(tasks.get(service.id, []))
            result[container_uuid] = _seen(service, task, hostnames, _idle(before))
    return result


def _missing(before: Seen, reason: str) -> Seen:
    if before.docker_id is None and before.status == ContainerStatus.ERROR.value:
        return before  # never made it onto the cluster; keeps its reason
    return Seen(ContainerStatus.ERROR.value, reason, before.docker_id)


def find_seen(rt: Runtime, row: Container) -> Seen | None:
    """What the swarm reports about `row`'s service; None when it has no such service, the
    cluster is gone or its API does not answer."""
    # Without a task, a service scaled to 0 was never started (a create is being settled).
    seen = expected(rt, str(row.cluster_id), {row.uuid: NOT_STARTED})[row.uuid]
    return None if seen.docker_id is None else seen
