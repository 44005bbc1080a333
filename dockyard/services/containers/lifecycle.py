"""Changing containers: create (with its volume, seed 001), start, stop and delete.

Each call is synchronous: the row is written (Creating or Deleting) before the engine is
asked, and ends in a final status with a reason; notifications go out before and after.
"""

from __future__ import annotations

import contextlib
import uuid as uuidlib
from typing import Any

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Container
from dockyard.db.repositories import containers as repo
from dockyard.domain.containers import TRANSITIONS, ContainerStatus, allows
from dockyard.notifications.containers import container_event
from dockyard.services import container_hosts, names
from dockyard.services import volumes as volume_service
from dockyard.services.containers import cluster_engine, cluster_target, engine, validation
from dockyard.services.containers.queries import load
from dockyard.services.runtime import Runtime


# -- create ---------------------------------------------------------------------------------
def create(rt: Runtime, ctx: RequestContext, body: dict[str, Any]) -> Container:
    """Create (and by default start) a container on the container host, or on the local
    Swarm cluster named in `cluster`; answers with its final status."""
    rt.policy.authorize(ctx, "container:create")
    if not rt.conf.containers.enabled:
        raise exceptions.NotSupported(operation="The container API ([containers] enabled)")
    name = body.get("name") or names.generate("container")
    image = body.get("image") or rt.conf.containers.default_image
    command = validation.command(body.get("command"))
    validation.check_shape(body)
    with rt.db.read() as session:
        try:
            repo.get(session, name, ctx.project_id)
        except exceptions.ContainerNotFound:
            pass
        else:
            raise exceptions.ContainerAlreadyExists(name=name)
    target = cluster_target.resolve(rt, ctx, body["cluster"]) if body.get("cluster") else None
    mounts = validation.resolve_mounts(rt, ctx, body)
    if target is not None:
        cluster_target.check_mounts(target, mounts.checked, mounts.to_create is not None)
    start = bool(body.get("start", True))
    # 400 when this machine cannot run the host; 409 when the cluster's API does not answer.
    with _engine_client(rt, target) as api:
        image_ref = _image_ref(api, target, image)
        checked = list(mounts.checked)
        created_volume = None
        if mounts.to_create is not None:
            created_volume = _create_volume(rt, ctx, mounts.to_create)
            checked.append(validation.Mount("volume", created_volume.uuid, body["vol_destination"]))
        values = {
            "uuid": str(uuidlib.uuid4()),
            "name": name,
            "project_id": ctx.project_id,
            "user_id": ctx.user_id,
            "image": image,
            "command": command,
            "environment": dict(body.get("environment") or {}),
            "mounts": [m.record() for m in checked],
            "status": TRANSITIONS["create"][0].value,
            "status_reason": "creating on the container host",
            "host": rt.conf.containers.host_name,
        }
        if target is not None:
            values.update(status_reason=f"creating on cluster {target.name}", host=None,
                          cluster_id=target.uuid)  # fmt: skip
        try:
            with rt.db.write() as session:
                row = repo.add(session, values)
        except exceptions.ContainerAlreadyExists:
            if created_volume is not None:  # made for this request only: nothing half done
                volume_service.delete(rt, ctx, created_volume.uuid)
            raise
        container_event(rt.notifier, "create", "pending", row, ctx.user_id)
        if target is None:
            found, failure = engine.create(api, row, start=start)
            seen = None if found is None else engine.reported(found)
        else:
            seen, failure = cluster_engine.create(rt, api, row, image_ref, start=start)
    row = _record_created(rt, row, seen, failure)
    outcome = "failure" if row.status == ContainerStatus.ERROR.value else "success"
    container_event(rt.notifier, "create", outcome, row, ctx.user_id)
    return row


def _engine_client(rt: Runtime, target: cluster_target.Target | None) -> Any:
    """A docker SDK client on the container host (started if needed) or the cluster, as a
    context manager."""
    if target is None:
        return contextlib.closing(container_hosts.client(rt))
    return cluster_target.answering(rt, target)


def _image_ref(api: Any, target: cluster_target.Target | None, image: str) -> str:
    """How the engine is told the image: its name on the host, its ID on a cluster (400 when
    the engine does not have it: nothing is pulled)."""
    if target is None:
        engine.check_image(api, image)
        return image
    return cluster_engine.image_ref(api, target.name, image)


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


def _record_created(
    rt: Runtime, row: Container, seen: engine.Seen | None, failure: str | None
) -> Container:
    with rt.db.write() as session:
        current = repo.get_for_update(session, row.uuid)
        if current is None:  # deleted meanwhile
            return row
        engine.apply(current, seen)
        if failure is not None:
            current.status = TRANSITIONS["create"][1].value
            current.status_reason = f"the engine refused it: {failure}"
        return current


# -- start and stop -------------------------------------------------------------------------
def _conflict(row: Container, action: str) -> exceptions.ContainerStatusConflict:
    return exceptions.ContainerStatusConflict(action=action, container=row.name, status=row.status)


def _act(rt: Runtime, ctx: RequestContext, row: Container, action: str) -> Container:
    """Start or stop `row` on its engine, then record what the engine reports."""
    if row.cluster_id:
        seen, failure = cluster_engine.act(rt, row, action)
        if seen is None and failure is None:
            raise _conflict(row, action)
    else:
        with contextlib.closing(container_hosts.client(rt)) as api:
            found = engine.find(api, row.uuid)
            if found is None:
                raise _conflict(row, action)
            failure = engine.act(rt, found, action)
            seen = engine.reported(found)
    with rt.db.write() as session:
        current = repo.get_for_update(session, row.uuid)
        if current is None:
            raise exceptions.ContainerNotFound(container=row.uuid)
        if seen is not None:
            engine.apply(current, seen)
        if failure is not None:
            current.status_reason = f"{action} failed: {failure}"
    container_event(rt.notifier, action, "success" if failure is None else "failure", current,
                    ctx.user_id)  # fmt: skip
    if failure is not None:
        raise exceptions.DockyardError(f"The engine could not {action} the container: {failure}")
    return current


def start(rt: Runtime, ctx: RequestContext, ident: str) -> Container:
    """Start a Created or Stopped container (or one in Error that the engine has)."""
    row = load(rt, ctx, ident, "container:start")
    if not allows("start", row.status, on_engine=bool(row.docker_id)):
        raise _conflict(row, "start")
    return _act(rt, ctx, row, "start")


def stop(rt: Runtime, ctx: RequestContext, ident: str) -> Container:
    """Stop a Running container (SIGTERM, SIGKILL after `[containers] stop_timeout`)."""
    row = load(rt, ctx, ident, "container:stop")
    if not allows("stop", row.status):
        raise _conflict(row, "stop")
    return _act(rt, ctx, row, "stop")


# -- delete ---------------------------------------------------------------------------------
def delete(rt: Runtime, ctx: RequestContext, ident: str, force: bool) -> None:
    """Remove the container from the engine, then its row; a running one needs `force`."""
    row = load(rt, ctx, ident, "container:delete")
    if not allows("force_delete" if force else "delete", row.status):
        if allows("force_delete", row.status):
            raise exceptions.ContainerStatusConflict(
                action="delete", container=row.name, status=row.status + " (stop it, or delete "
                "with force=true)",
            )  # fmt: skip
        raise _conflict(row, "delete")
    with rt.db.write() as session:
        current = repo.get_for_update(session, row.uuid)
        if current is None:
            raise exceptions.ContainerNotFound(container=ident)
        current.status = TRANSITIONS["delete"][0].value
        current.status_reason = "deleting from " + (
            "its cluster" if current.cluster_id else "the container host"
        )
    container_event(rt.notifier, "delete", "pending", current, ctx.user_id)
    failure = finish_delete(rt, current)
    container_event(rt.notifier, "delete", "success" if failure is None else "failure", current,
                    ctx.user_id)  # fmt: skip
    if failure is not None:
        raise exceptions.DockyardError(f"The engine could not delete the container: {failure}")


def finish_delete(rt: Runtime, row: Container) -> str | None:
    """Remove a Deleting container from its engine, then its row (Error with the reason when
    the engine fails). Returns what went wrong, or None."""
    failure = cluster_engine.remove(rt, row) if row.cluster_id else engine.remove(rt, row.uuid)
    with rt.db.write() as session:
        current = repo.get_for_update(session, row.uuid)
        if current is None:
            return failure
        if failure is None:
            repo.delete(session, current)
        else:
            current.status = TRANSITIONS["delete"][1].value
            current.status_reason = f"delete failed: {failure}"
    return failure
