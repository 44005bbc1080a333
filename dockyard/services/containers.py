"""Container rules: create (volumes, host mounts, image), start, stop, logs, delete, and the
status sync with the engine that runs them (Dockyard extension, after Zun's container API).

Containers run on the container host (services.container_hosts). Calls are synchronous: the
row is written (Creating or Deleting) before the engine is asked, and ends in a final status
with a reason. A crash between the two leaves the row in a transient status, which `resume`
settles at the next start against what the engine has: each engine container carries the
Dockyard uuid in its name and labels.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Container
from dockyard.db.repositories import containers as repo
from dockyard.db.repositories.pagination import Page
from dockyard.domain import containers as domain
from dockyard.domain.containers import ContainerStatus
from dockyard.domain.engines import PLUGIN_NAME
from dockyard.notifications.containers import container_event
from dockyard.services import container_hosts, names
from dockyard.services import volumes as volume_service
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)

LABEL = "dockyard.container"
LOG_TAIL_MAX = 10_000
NO_REGISTRY = (
    "no registry is reachable from the container host (it has no network beyond its own "
    "containers), so images are never pulled: an administrator must load it into the host "
    "first (docker load)"
)


def engine_name(container_uuid: str) -> str:
    """The engine-side name of a Dockyard container."""
    return f"dockyard-{container_uuid}"


@dataclass(frozen=True, slots=True)
class _Mount:
    """A checked mount: a Dockyard volume (uuid) or an allowed host directory."""

    type: str
    source: str
    destination: str
    read_only: bool = False

    def record(self) -> dict[str, Any]:
        return {"type": self.type, "source": self.source, "destination": self.destination,
                "read_only": self.read_only}  # fmt: skip


def _scope(ctx: RequestContext) -> str | None:
    return None if ctx.is_admin else ctx.project_id


def _target(row: Container) -> dict[str, Any]:
    return {"project_id": row.project_id, "user_id": row.user_id}


# -- validation ----------------------------------------------------------------------------
def _command(value: list[str] | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    try:
        return shlex.split(value)
    except ValueError as exc:
        raise exceptions.InvalidField(field="command", value=value, reason=str(exc)) from None


def _allowed_host_path(rt: Runtime, source: str) -> str:
    """`source` resolved, if it lies under an allowed prefix; else a 400."""
    allowed = [p for p in rt.conf.containers.allowed_host_mounts if p]
    if not allowed:
        raise exceptions.InvalidParameterValue(
            err=f"Host directory mounts are not allowed here (bind of {source}): the operator's "
            "[containers] allowed_host_mounts is empty."
        )
    if not os.path.isabs(source):
        raise exceptions.InvalidField(
            field="mounts.source", value=source, reason="a host path must be absolute"
        )
    resolved = os.path.realpath(source)
    for prefix in allowed:
        root = os.path.realpath(prefix)
        if resolved == root or resolved.startswith(root.rstrip(os.sep) + os.sep):
            if not os.path.isdir(resolved):
                raise exceptions.InvalidParameterValue(
                    err=f"Host directory {source} does not exist."
                )
            return resolved
    raise exceptions.InvalidParameterValue(
        err=f"Host directory {source} is not under an allowed prefix "
        f"([containers] allowed_host_mounts: {', '.join(allowed)})."
    )


def _volume_mount(volume: Any, destination: str, read_only: bool) -> _Mount:
    if volume.status in ("error", "deleting"):
        raise exceptions.InvalidParameterValue(
            err=f"Volume {volume.name} cannot be mounted while its status is {volume.status}."
        )
    return _Mount("volume", volume.uuid, destination, read_only)


def _check_shape(body: dict[str, Any]) -> None:
    """The volume fields fit together and no two mounts share a destination."""
    given = body.get("mounts") or []
    name = body.get("vol_name")
    if given and name:
        raise exceptions.InvalidParameterValue(err="Give either vol_name or mounts, not both.")
    for field in ("vol_size", "volume_driver"):
        if body.get(field) is not None and not name:
            raise exceptions.InvalidParameterValue(err=f"{field} needs vol_name.")
    destinations = [os.path.normpath(m["destination"]) for m in given]
    if name:
        destinations.append(os.path.normpath(body["vol_destination"]))
    if len(set(destinations)) != len(destinations):
        raise exceptions.InvalidParameterValue(err="Two mounts share one destination.")


def _volume(rt: Runtime, ctx: RequestContext, ident: str) -> Any | None:
    """The project's volume named or numbered `ident`, or None."""
    try:
        return volume_service.get(rt, ctx, ident)
    except exceptions.NotFound:
        return None


def _resolve_mounts(
    rt: Runtime, ctx: RequestContext, body: dict[str, Any]
) -> tuple[list[_Mount], dict[str, Any] | None]:
    """Checked mounts, plus the volume to create first (seed 001, approach 1), if any."""
    mounts: list[_Mount] = []
    given = body.get("mounts") or []
    for item in given:
        if item["type"] == "bind":
            rt.policy.authorize(ctx, "container:create:host_mount")
            path = _allowed_host_path(rt, item["source"])
            mounts.append(_Mount("bind", path, item["destination"], item["read_only"]))
    for item in given:
        if item["type"] == "volume":
            volume = _volume(rt, ctx, item["source"])
            if volume is None:
                raise exceptions.InvalidParameterValue(
                    err=f"Volume {item['source']} does not exist (mounts name existing volumes; "
                    "vol_name with vol_size creates one)."
                )
            mounts.append(_volume_mount(volume, item["destination"], item["read_only"]))
    name = body.get("vol_name")
    if not name:
        return mounts, None
    volume = _volume(rt, ctx, name)
    if volume is None:
        if body.get("vol_size") is None:
            raise exceptions.InvalidParameterValue(
                err=f"Volume {name} does not exist: give vol_size to create it."
            )
        to_create = {"name": name, "size": body["vol_size"]}
        if body.get("volume_driver"):
            to_create["volume_driver"] = body["volume_driver"]
        return mounts, to_create
    driver = body.get("volume_driver")
    if driver and driver != volume.driver:
        raise exceptions.InvalidParameterValue(
            err=f"Volume {name} exists with volume_driver {volume.driver}, not {driver}."
        )
    mounts.append(_volume_mount(volume, body["vol_destination"], False))
    return mounts, None


def _check_image(api: Any, image: str) -> None:
    import docker.errors

    try:
        api.images.get(image)
    except docker.errors.ImageNotFound:
        raise exceptions.InvalidParameterValue(
            err=f"Image {image} is not on the container host: {NO_REGISTRY}."
        ) from None


# -- engine calls ------------------------------------------------------------------------
def _docker_mounts(mounts: list[dict[str, Any]]) -> list[Any]:
    from docker.types import DriverConfig, Mount

    result = []
    for m in mounts:
        if m["type"] == "volume":
            result.append(
                Mount(m["destination"], m["source"], type="volume",
                      read_only=bool(m.get("read_only")), driver_config=DriverConfig(PLUGIN_NAME))
            )  # fmt: skip
        else:
            result.append(
                Mount(
                    m["destination"], m["source"], type="bind", read_only=bool(m.get("read_only"))
                )
            )
    return result


def _engine_error(exc: Exception) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)


def _find(api: Any, container_uuid: str) -> Any | None:
    """The engine's container for `container_uuid`, or None."""
    import docker.errors

    try:
        return api.containers.get(engine_name(container_uuid))
    except docker.errors.NotFound:
        return None


def _apply(row: Container, engine_container: Any | None, missing_reason: str) -> bool:
    """Set `row`'s status from an engine container as last inspected; whether it changed.

    Never ask the engine inside a transaction: the engine may be waiting on the volume
    plugin, and the plugin on the database.
    """
    if engine_container is None:
        status, reason = ContainerStatus.ERROR, missing_reason
    else:
        status, reason = domain.from_engine(engine_container.attrs.get("State", {}))
        row.docker_id = engine_container.id
    changed = (row.status, row.status_reason) != (status.value, reason)
    row.status, row.status_reason = status.value, reason
    return changed


# -- create ---------------------------------------------------------------------------------
def create(rt: Runtime, ctx: RequestContext, body: dict[str, Any]) -> Container:
    """Create (and by default start) a container; answers with its final status."""
    rt.policy.authorize(ctx, "container:create")
    if body.get("cluster"):
        raise exceptions.NotSupported(
            operation="Running a container on a cluster through the container API (use the "
            "cluster's own Docker API: openstack coe cluster config)"
        )
    if not rt.conf.containers.enabled:
        raise exceptions.NotSupported(operation="The container API ([containers] enabled)")
    name = body.get("name") or names.generate("container")
    image = body.get("image") or rt.conf.containers.default_image
    command = _command(body.get("command"))
    _check_shape(body)
    with rt.db.read() as session:
        try:
            repo.get(session, name, ctx.project_id)
        except exceptions.ContainerNotFound:
            pass
        else:
            raise exceptions.ContainerAlreadyExists(name=name)
    mounts, to_create = _resolve_mounts(rt, ctx, body)
    api = container_hosts.client(rt)  # 400 when this machine cannot run the host
    try:
        _check_image(api, image)
        created_volume = None
        if to_create is not None:
            created_volume = _create_volume(rt, ctx, to_create)
            mounts.append(_Mount("volume", created_volume.uuid, body["vol_destination"]))
        container_uuid = str(uuidlib.uuid4())
        values = {
            "uuid": container_uuid,
            "name": name,
            "project_id": ctx.project_id,
            "user_id": ctx.user_id,
            "image": image,
            "command": command,
            "environment": dict(body.get("environment") or {}),
            "mounts": [m.record() for m in mounts],
            "status": ContainerStatus.CREATING.value,
            "status_reason": "creating on the container host",
            "host": rt.conf.containers.host_name,
        }
        try:
            with rt.db.write() as session:
                row = repo.add(session, values)
        except exceptions.ContainerAlreadyExists:
            if created_volume is not None:  # made for this request only: nothing half done
                volume_service.delete(rt, ctx, created_volume.uuid)
            raise
        container_event(rt.notifier, "create", "pending", row, ctx.user_id)
        row = _create_on_engine(rt, api, row, start=bool(body.get("start", True)))
    finally:
        api.close()
    outcome = "failure" if row.status == ContainerStatus.ERROR.value else "success"
    container_event(rt.notifier, "create", outcome, row, ctx.user_id)
    return row


def _create_volume(rt: Runtime, ctx: RequestContext, values: dict[str, Any]) -> Any:
    """Seed 001, approach 1: the volume named in vol_name, made for this container."""
    volume = volume_service.create(
        rt, ctx, size=values["size"], name=values["name"], volume_driver=values.get("volume_driver")
    )
    if volume.status != "available":
        reason = volume.status_reason or volume.status
        with contextlib.suppress(exceptions.DockyardError):  # made for this request only
            volume_service.delete(rt, ctx, volume.uuid)
        raise exceptions.DockyardError(f"Volume {values['name']} could not be created: {reason}")
    return volume


def _create_on_engine(rt: Runtime, api: Any, row: Container, *, start: bool) -> Container:
    import docker.errors

    labels = {LABEL: row.uuid, "dockyard.project": row.project_id}
    try:
        engine_container = api.containers.create(
            row.image,
            row.command or None,
            name=engine_name(row.uuid),
            environment=row.environment or None,
            labels=labels,
            mounts=_docker_mounts(row.mounts),
            detach=True,
        )
        if start:
            engine_container.start()
        failure = None
    except docker.errors.DockerException as exc:
        failure = _engine_error(exc)
    engine_container = _find(api, row.uuid)  # inspected after the start
    with rt.db.write() as session:
        current = repo.get_for_update(session, row.uuid)
        if current is None:  # deleted meanwhile
            return row
        if failure is None:
            _apply(current, engine_container, "")
        else:
            current.status = ContainerStatus.ERROR.value
            current.status_reason = f"the engine refused it: {failure}"
            if engine_container is not None:
                current.docker_id = engine_container.id
        return current


# -- reads, with the engine's view --------------------------------------------------------
def _host_up(rt: Runtime) -> bool:
    if not rt.conf.containers.enabled:
        return False
    return container_hosts.engine(rt).status().answers


def _sync(rt: Runtime, uuids: list[str]) -> None:
    """Bring the statuses of `uuids` in line with the engine (transient ones are left to
    the request that holds them, or to `resume`). Nothing is started by a read."""
    if not uuids:
        return
    if not _host_up(rt):
        engine_states: dict[str, Any] | None = None
    else:
        api = container_hosts.engine(rt).client(timeout=15)
        try:
            listed = api.containers.list(all=True, filters={"label": LABEL})
            engine_states = {c.labels.get(LABEL): c for c in listed}
        finally:
            api.close()
    with rt.db.write() as session:
        for container_uuid in uuids:
            row = repo.get_for_update(session, container_uuid)
            if row is None or row.status in domain.TRANSIENT or row.cluster_id:
                continue
            if engine_states is None:
                if row.status == ContainerStatus.RUNNING.value:
                    row.status = ContainerStatus.STOPPED.value
                    row.status_reason = "the container host is not running"
                continue
            found = engine_states.get(container_uuid)
            if found is None:
                if row.docker_id is None and row.status == ContainerStatus.ERROR.value:
                    continue  # never made it onto the engine; keeps its reason
                _apply(row, None, "the container is gone from the container host")
            else:  # listed unsparse: attrs are inspect's, State a dict
                status, reason = domain.from_engine(found.attrs.get("State") or {})
                row.status, row.status_reason = status.value, reason
                row.docker_id = found.id


def get(rt: Runtime, ctx: RequestContext, ident: str) -> Container:
    with rt.db.read() as session:
        row = repo.get(session, ident, _scope(ctx))
    rt.policy.authorize(ctx, "container:get", _target(row))
    _sync(rt, [row.uuid])
    with rt.db.read() as session:
        return repo.get(session, row.uuid, None)


def list_containers(rt: Runtime, ctx: RequestContext, page: Page) -> list[Any]:
    """The project's containers (every project's, for an admin), synced with the engine."""
    rt.policy.authorize(ctx, "container:get_all", {"project_id": ctx.project_id})
    project = _scope(ctx)
    if project is None:
        rt.policy.authorize(ctx, "container:get_all_all_projects")
    with rt.db.read() as session:
        rows = repo.list_page(session, project, page)
    _sync(rt, [r.uuid for r in rows])
    with rt.db.read() as session:
        return repo.list_page(session, project, page)


# -- actions ------------------------------------------------------------------------------
def _for_action(rt: Runtime, ctx: RequestContext, ident: str, rule: str) -> Container:
    with rt.db.read() as session:
        row = repo.get(session, ident, _scope(ctx))
    rt.policy.authorize(ctx, rule, _target(row))
    _sync(rt, [row.uuid])
    with rt.db.read() as session:
        return repo.get(session, row.uuid, None)


def _conflict(row: Container, action: str) -> exceptions.ContainerStatusConflict:
    return exceptions.ContainerStatusConflict(action=action, container=row.name, status=row.status)


def _act(rt: Runtime, ctx: RequestContext, row: Container, action: str) -> Container:
    """Start or stop `row` on the engine, then record what the engine reports."""
    import docker.errors

    api = container_hosts.client(rt)
    try:
        engine_container = _find(api, row.uuid)
        if engine_container is None:
            raise _conflict(row, action)
        try:
            if action == "start":
                engine_container.start()
            else:
                engine_container.stop(timeout=int(rt.conf.containers.stop_timeout))
            failure = None
        except docker.errors.DockerException as exc:
            failure = _engine_error(exc)
        engine_container.reload()
        with rt.db.write() as session:
            current = repo.get_for_update(session, row.uuid)
            if current is None:
                raise exceptions.ContainerNotFound(container=row.uuid)
            _apply(current, engine_container, "")
            if failure is not None:
                current.status_reason = f"{action} failed: {failure}"
    finally:
        api.close()
    outcome = "success" if failure is None else "failure"
    container_event(rt.notifier, action, outcome, current, ctx.user_id)
    if failure is not None:
        raise exceptions.DockyardError(f"The engine could not {action} the container: {failure}")
    return current


def start(rt: Runtime, ctx: RequestContext, ident: str) -> Container:
    row = _for_action(rt, ctx, ident, "container:start")
    startable = (ContainerStatus.CREATED.value, ContainerStatus.STOPPED.value)
    if row.status not in startable and not (
        row.status == ContainerStatus.ERROR.value and row.docker_id
    ):
        raise _conflict(row, "start")
    return _act(rt, ctx, row, "start")


def stop(rt: Runtime, ctx: RequestContext, ident: str) -> Container:
    row = _for_action(rt, ctx, ident, "container:stop")
    if row.status != ContainerStatus.RUNNING.value:
        raise _conflict(row, "stop")
    return _act(rt, ctx, row, "stop")


def logs(rt: Runtime, ctx: RequestContext, ident: str, tail: int | None) -> str:
    """The container's stdout and stderr as the engine kept them (the last `tail` lines)."""
    row = _for_action(rt, ctx, ident, "container:logs")
    if not _host_up(rt):
        raise exceptions.Conflict("The container host is not running: no logs to read.")
    api = container_hosts.engine(rt).client()
    try:
        engine_container = _find(api, row.uuid)
        if engine_container is None:
            raise exceptions.Conflict(f"Container {row.name} has no logs: it is not on the engine.")
        raw = engine_container.logs(stdout=True, stderr=True, tail="all" if tail is None else tail)
    finally:
        api.close()
    return bytes(raw).decode("utf-8", "replace")


def delete(rt: Runtime, ctx: RequestContext, ident: str, force: bool) -> None:
    """Remove the container from the engine, then its row; a running one needs `force`."""
    row = _for_action(rt, ctx, ident, "container:delete")
    if row.status == ContainerStatus.RUNNING.value and not force:
        raise exceptions.ContainerStatusConflict(
            action="delete", container=row.name, status=row.status + " (stop it, or delete with "
            "force=true)",
        )  # fmt: skip
    if row.status == ContainerStatus.CREATING.value:
        raise _conflict(row, "delete")
    with rt.db.write() as session:
        current = repo.get_for_update(session, row.uuid)
        if current is None:
            raise exceptions.ContainerNotFound(container=ident)
        current.status = ContainerStatus.DELETING.value
        current.status_reason = "deleting from the container host"
    container_event(rt.notifier, "delete", "pending", current, ctx.user_id)
    failure = _remove_from_engine(rt, row.uuid)
    with rt.db.write() as session:
        current = repo.get_for_update(session, row.uuid)
        if current is None:
            return
        if failure is None:
            repo.delete(session, current)
        else:
            current.status = ContainerStatus.ERROR.value
            current.status_reason = f"delete failed: {failure}"
    container_event(rt.notifier, "delete", "success" if failure is None else "failure", current,
                    ctx.user_id)  # fmt: skip
    if failure is not None:
        raise exceptions.DockyardError(f"The engine could not delete the container: {failure}")


def _remove_from_engine(rt: Runtime, container_uuid: str) -> str | None:
    """Stop (gracefully) and remove the engine container, with its anonymous volumes; a
    Dockyard volume stays. Returns what went wrong, or None."""
    import docker.errors

    api = container_hosts.client(rt)
    try:
        engine_container = _find(api, container_uuid)
        if engine_container is None:
            return None
        if engine_container.status in ("running", "restarting", "paused"):
            engine_container.stop(timeout=int(rt.conf.containers.stop_timeout))
        volume_names = [
            m.get("Name") for m in engine_container.attrs.get("Mounts", [])
            if m.get("Type") == "volume" and m.get("Driver") == PLUGIN_NAME
        ]  # fmt: skip
        engine_container.remove(v=True, force=True)
        for name in volume_names:
            # The engine's reference only: on a shared engine the plugin's Remove just
            # forgets it (the Dockyard volume stays). Refused while another container uses it.
            with contextlib.suppress(docker.errors.APIError):
                api.volumes.get(name).remove()
        return None
    except docker.errors.NotFound:
        return None
    except docker.errors.DockerException as exc:
        return _engine_error(exc)
    finally:
        api.close()


# -- start-up ------------------------------------------------------------------------------
def resume(rt: Runtime) -> list[str]:
    """At Dockyard start: bring the container host back if it ran before, settle containers a
    crash left Creating or Deleting, and sync every status with the engine. Returns (and
    logs) what was done."""
    reports: list[str] = []
    try:
        line = container_hosts.resume(rt)
    except exceptions.DockyardError as exc:
        return [f"container host not resumed: {exc}"]
    if line:
        reports.append(line)
    host = rt.conf.containers.host_name
    with rt.db.read() as session:
        transient = [r.uuid for r in repo.in_statuses(session, frozenset(domain.TRANSIENT))
                     if r.host == host]  # fmt: skip
        on_host = [r.uuid for r in repo.on_host(session, host)]
    if transient:
        reports += _settle(rt, transient)
    _sync(rt, on_host)
    for line in reports:
        LOG.warning("containers at start: %s", line)
    return reports


def _settle(rt: Runtime, uuids: list[str]) -> list[str]:
    reports = []
    api = container_hosts.client(rt)
    try:
        for container_uuid in uuids:
            engine_container = _find(api, container_uuid)
            with rt.db.write() as session:
                row = repo.get_for_update(session, container_uuid)
                if row is None:
                    continue
                if row.status == ContainerStatus.DELETING.value:
                    pass  # finished below, outside the transaction
                elif engine_container is None:
                    row.status = ContainerStatus.ERROR.value
                    row.status_reason = (
                        "creation was interrupted by a restart of Dockyard before the engine "
                        "created the container"
                    )
                    reports.append(f"container {container_uuid}: interrupted create -> Error")
                    continue
                else:
                    _apply(row, engine_container, "")
                    row.status_reason = f"{row.status_reason} (found after a restart)"
                    reports.append(
                        f"container {container_uuid}: interrupted create -> {row.status}"
                    )
                    continue
            failure = _remove_from_engine(rt, container_uuid)
            with rt.db.write() as session:
                row = repo.get_for_update(session, container_uuid)
                if row is None:
                    continue
                if failure is None:
                    repo.delete(session, row)
                    reports.append(f"container {container_uuid}: interrupted delete finished")
                else:
                    row.status = ContainerStatus.ERROR.value
                    row.status_reason = f"delete failed: {failure}"
                    reports.append(f"container {container_uuid}: interrupted delete failed")
    finally:
        api.close()
    return reports
