"""Volume rules: create, list, show, rename, grow, delete, and recovery after a crash.

Operations are synchronous: the row is written first (status `creating` or `deleting`), then
the volume driver is called, then the outcome is recorded (`available`, gone, or `error` with
the driver's reason). A process that dies between those steps leaves the row in `creating` or
`deleting`; `recover` (run by the processes that serve the volume plugin) finishes or fails it.

Local volumes live on the host of the process that created them (the `host` column); the
plugin that mounts them must run there (the embedded `dockyard`, or `dockyard-api` and
`dockyard-conductor` on one host with one `state_path`).

Stable entry points for other services (the container API): `create`, `get`, `list_volumes`,
`update`, `delete`, `attachments_of`, `prepare_host`, `release_host`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid as uuidlib
from collections.abc import Mapping
from typing import Any

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Volume, VolumeAttachment, utcnow
from dockyard.db.repositories import containers as container_repo
from dockyard.db.repositories import volumes as repo
from dockyard.db.repositories.lookup import is_uuid_like
from dockyard.db.repositories.pagination import Page
from dockyard.domain import volumes as rules
from dockyard.domain.volumes import VolumeStatus
from dockyard.notifications import volumes as notify
from dockyard.services import names
from dockyard.services.runtime import Runtime
from dockyard.volume_drivers.base import (
    GrowNeedsDetach,
    VolumeDriver,
    VolumeDriverError,
    VolumeRef,
    VolumeUsage,
)
from dockyard.volume_drivers.local import LocalVolumeDriver
from dockyard.volume_drivers.registry import UnknownVolumeDriver

LOG = logging.getLogger(__name__)
# Docker's own rule for volume names, so every Dockyard name works as `-v name:/path`.
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$")


def _scope(ctx: RequestContext) -> str | None:
    return None if ctx.is_admin else ctx.project_id


def _target(volume: Volume) -> dict[str, Any]:
    return {"project_id": volume.project_id, "user_id": volume.user_id}


def volume_ref(volume: Volume, auth_token: str | None = None) -> VolumeRef:
    """What a volume driver gets for `volume`."""
    options = volume.options or {}
    return VolumeRef(
        uuid=volume.uuid,
        name=volume.name,
        size_gib=volume.size,
        fstype=str(options.get("fstype", rules.DEFAULT_FSTYPE)),
        multiattach=bool(options.get("multiattach", False)),
        backend_ref=volume.backend_ref,
        auth_token=auth_token,
        project_id=volume.project_id,
    )


def driver_for(rt: Runtime, volume: Volume) -> VolumeDriver:
    """The driver that keeps `volume` (500 when it is no longer enabled)."""
    try:
        return rt.volume_drivers.get(volume.driver)
    except UnknownVolumeDriver:
        raise exceptions.VolumeBackendError(
            volume=volume.uuid, reason=f"its volume driver {volume.driver!r} is not enabled"
        ) from None


def _choose_driver(rt: Runtime, name: str | None) -> VolumeDriver:
    chosen = name or rt.conf.volume.default_driver
    try:
        driver = rt.volume_drivers.get(chosen)
    except UnknownVolumeDriver:
        enabled = ", ".join(rt.volume_drivers.names) or "none"
        raise exceptions.InvalidParameterValue(
            f"Volume driver {chosen!r} is not enabled. Enabled volume drivers: {enabled}."
        ) from None
    problems = driver.problems()
    if problems:
        raise exceptions.InvalidParameterValue(
            f"Volume driver {chosen} cannot work on this host: {'; '.join(problems)}."
        )
    return driver


def check_name(name: str) -> str:
    """A volume name Docker accepts, and that cannot be mistaken for a uuid (400 if not)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise exceptions.InvalidField(
            field="name", value=name, reason="use letters, digits, '_', '.' and '-' (max 255)"
        )
    if is_uuid_like(name):
        raise exceptions.InvalidField(field="name", value=name, reason="must not be a UUID")
    return name


def _invalid(exc: rules.InvalidVolumeOption) -> exceptions.InvalidParameterValue:
    return exceptions.InvalidParameterValue(f"Invalid volume: {exc}.")


def _set(rt: Runtime, volume_uuid: str, **fields: Any) -> Volume:
    """Record `fields` on the volume in one transaction; returns the updated row."""
    with rt.db.write() as session:
        row = repo.lock(session, volume_uuid)
        if row is None:
            raise exceptions.VolumeNotFound(volume=volume_uuid)
        for key, value in fields.items():
            setattr(row, key, value)
        session.flush()
        return row


# -- create ----------------------------------------------------------------------------------
def create(
    rt: Runtime,
    ctx: RequestContext,
    *,
    size: Any,
    name: str | None = None,
    volume_driver: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> Volume:
    """Create a volume in the caller's project and return its row.

    400 for a bad size, name, driver or option; 409 for a name taken in the project; 403
    past `[volume] max_volumes_per_project`. A driver failure does not raise: the volume is
    returned in status `error` with the driver's reason, as Cinder does.
    """
    rt.policy.authorize(ctx, "volume:create", {"project_id": ctx.project_id})
    return create_in_project(
        rt, ctx.project_id, ctx.user_id, size=size, name=name, volume_driver=volume_driver,
        options=options, auth_token=ctx.auth_token,
    )  # fmt: skip


def create_in_project(
    rt: Runtime,
    project_id: str,
    user_id: str,
    *,
    size: Any,
    name: str | None = None,
    volume_driver: str | None = None,
    options: Mapping[str, Any] | None = None,
    auth_token: str | None = None,
) -> Volume:
    """`create` without the policy check, for callers that decided who may (the plugin)."""
    driver = _choose_driver(rt, volume_driver)
    try:
        size_gib = rules.parse_size(size, int(rt.conf.volume.max_size_gib))
        stored_options = rules.normalize_options(options, driver.fstypes)
    except rules.InvalidVolumeOption as exc:
        raise _invalid(exc) from None
    values = {
        "uuid": str(uuidlib.uuid4()),
        "name": check_name(name) if name is not None else names.generate("volume"),
        "project_id": project_id,
        "user_id": user_id,
        "size": size_gib,
        "driver": driver.name,
        "status": VolumeStatus.CREATING.value,
        "options": stored_options,
        "host": rt.conf.host,
    }
    with rt.db.write() as session:
        limit = int(rt.conf.volume.max_volumes_per_project)
        if repo.count(session, project_id) >= limit:
            raise exceptions.QuotaExceeded(
                msg=f"You have reached the maximum volumes per project, {limit}. Please delete "
                "volumes or ask your administrator to raise [volume] max_volumes_per_project."
            )
        if repo.find_by_name(session, project_id, values["name"]) is not None:
            raise exceptions.VolumeAlreadyExists(name=values["name"], project_id=project_id)
        volume = repo.add(session, values)
    notify.volume_event(rt.notifier, "create", "pending", volume, user_id)
    try:
        backend_ref = driver.create(volume_ref(volume, auth_token))
    except VolumeDriverError as exc:
        LOG.warning("volume %s: create failed: %s", volume.uuid, exc)
        volume = _set(rt, volume.uuid, status=VolumeStatus.ERROR.value, status_reason=str(exc))
        notify.volume_event(rt.notifier, "create", "failure", volume, user_id)
        return volume
    volume = _set(
        rt, volume.uuid, status=VolumeStatus.AVAILABLE.value, backend_ref=backend_ref,
        status_reason=None,
    )  # fmt: skip
    notify.volume_event(rt.notifier, "create", "success", volume, user_id)
    return volume


# -- read ------------------------------------------------------------------------------------
def get(rt: Runtime, ctx: RequestContext, ident: str) -> Volume:
    """A volume by uuid or name (names within the caller's project; admins: any project)."""
    with rt.db.read() as session:
        volume = repo.get(session, ident, _scope(ctx))
    rt.policy.authorize(ctx, "volume:get", _target(volume))
    return volume


def list_volumes(rt: Runtime, ctx: RequestContext, page: Page) -> list[Any]:
    """One page of the caller's volumes (admins: every project's), each with its
    `attachment_count`."""
    rt.policy.authorize(ctx, "volume:get_all", {"project_id": ctx.project_id})
    with rt.db.read() as session:
        rows = repo.list_page(session, _scope(ctx), page)
        counts = repo.attachment_counts(session, [row["uuid"] for row in rows])
    for row in rows:
        row["attachment_count"] = counts.get(row["uuid"], 0)
    return rows


def attachments_of(rt: Runtime, volume_uuid: str) -> list[VolumeAttachment]:
    """Where the volume is mounted now (engine, Docker's mount id, mountpoint)."""
    with rt.db.read() as session:
        return repo.attachments(session, volume_uuid)


def usage_of(rt: Runtime, volume: Volume) -> VolumeUsage | None:
    """The volume's sizes as its driver sees them now (None: unknown or unreachable)."""
    try:
        return driver_for(rt, volume).usage(volume_ref(volume))
    except (VolumeDriverError, exceptions.VolumeBackendError, OSError) as exc:
        LOG.info("volume %s: no usage: %s", volume.uuid, exc)
        return None


# -- update ----------------------------------------------------------------------------------
def update(
    rt: Runtime,
    ctx: RequestContext,
    ident: str,
    *,
    name: str | None = None,
    size: Any = None,
) -> Volume:
    """Rename and/or grow a volume (online when in use). Shrinking is a 400.

    The row stays locked while the driver grows the volume, so the plugin cannot mount or
    unmount it half-grown. A driver failure is recorded in status_reason and answered 500.
    """
    failure: VolumeDriverError | None = None
    with rt.db.write() as session:
        found = repo.get(session, ident, _scope(ctx))
        rt.policy.authorize(ctx, "volume:update", _target(found))
        volume = repo.lock(session, found.uuid)
        if volume is None:
            raise exceptions.VolumeNotFound(volume=ident)
        if name is not None and name != volume.name:
            _refuse_rename_under_cluster_containers(session, volume)
            repo.rename(session, volume, check_name(name))
        if size is not None:
            try:
                new_size = rules.parse_size(size, int(rt.conf.volume.max_size_gib))
            except rules.InvalidVolumeOption as exc:
                raise _invalid(exc) from None
            if new_size < volume.size:
                raise exceptions.InvalidParameterValue(
                    f"Invalid volume: size {new_size} GiB is smaller than the current "
                    f"{volume.size} GiB; volumes can only grow."
                )
            if new_size > volume.size:
                if not rules.allows("grow", volume.status):
                    raise exceptions.VolumeStatusConflict(
                        action="grow", volume=volume.uuid, status=volume.status
                    )
                try:
                    driver_for(rt, volume).grow(volume_ref(volume, ctx.auth_token), new_size)
                    volume.size = new_size
                    volume.status_reason = None
                except GrowNeedsDetach as exc:
                    raise exceptions.VolumeStatusConflict(
                        f"Cannot grow volume {volume.uuid} while it is in use: {exc}. Stop the "
                        "containers using it and grow it again."
                    ) from None
                except VolumeDriverError as exc:
                    failure = exc
                    volume.status_reason = f"growing to {new_size} GiB failed: {exc}"
        session.flush()
    if failure is not None:
        notify.volume_event(rt.notifier, "update", "failure", volume, ctx.user_id)
        raise exceptions.VolumeBackendError(volume=volume.uuid, reason=str(volume.status_reason))
    notify.volume_event(rt.notifier, "update", "success", volume, ctx.user_id)
    return volume


def _refuse_rename_under_cluster_containers(session: Any, volume: Volume) -> None:
    """Swarm services on a cluster name their volumes by name: renamed, the next task of such
    a container would get a new, empty volume of the old name."""
    by_name = [c for c in container_repo.mounting_volume(session, volume.project_id, volume.uuid)
               if c.cluster_id]  # fmt: skip
    if by_name:
        raise exceptions.VolumeStatusConflict(
            f"Cannot rename volume {volume.uuid}: container(s) "
            f"{', '.join(sorted(c.name for c in by_name))} on a cluster mount it by name. "
            "Delete them first."
        )


# -- delete ----------------------------------------------------------------------------------
def delete(rt: Runtime, ctx: RequestContext, ident: str) -> None:
    """Delete a volume and free its storage: 409 while attached or while being created."""
    with rt.db.write() as session:
        found = repo.get(session, ident, _scope(ctx))
        rt.policy.authorize(ctx, "volume:delete", _target(found))
        volume = delete_locked(session, found.uuid)
    notify.volume_event(rt.notifier, "delete", "pending", volume, ctx.user_id)
    finish_delete(rt, volume, ctx.user_id, ctx.auth_token)


def delete_locked(session: Any, volume_uuid: str) -> Volume:
    """Check that the volume may go (no attachment, right status) and mark it `deleting`."""
    volume = repo.lock(session, volume_uuid)
    if volume is None:
        raise exceptions.VolumeNotFound(volume=volume_uuid)
    attached = repo.attachments(session, volume.uuid)
    if attached:
        engines = sorted({a.engine for a in attached})
        raise exceptions.VolumeInUse(
            volume=volume.uuid, attachments=f"{len(attached)} mount(s) on {', '.join(engines)}"
        )
    if not rules.allows("delete", volume.status):
        raise exceptions.VolumeStatusConflict(
            action="delete", volume=volume.uuid, status=volume.status
        )
    volume.status = VolumeStatus.DELETING.value
    volume.status_reason = None
    session.flush()
    return volume


def finish_delete(rt: Runtime, volume: Volume, user_id: str, auth_token: str | None) -> None:
    """Free the storage of a `deleting` volume, then drop its row (error + 500 on failure)."""
    try:
        driver_for(rt, volume).delete(volume_ref(volume, auth_token))
    except (VolumeDriverError, exceptions.VolumeBackendError) as exc:
        LOG.warning("volume %s: delete failed: %s", volume.uuid, exc)
        failed = _set(
            rt, volume.uuid, status=VolumeStatus.ERROR.value,
            status_reason=f"delete failed: {exc}",
        )  # fmt: skip
        notify.volume_event(rt.notifier, "delete", "failure", failed, user_id)
        raise exceptions.VolumeBackendError(
            volume=volume.uuid, reason=str(failed.status_reason)
        ) from exc
    with rt.db.write() as session:
        row = repo.lock(session, volume.uuid)
        if row is not None:
            repo.remove(session, row)
    notify.volume_event(rt.notifier, "delete", "success", volume, user_id)


# -- host and recovery -----------------------------------------------------------------------
def _local_driver(rt: Runtime) -> LocalVolumeDriver | None:
    try:
        driver = rt.volume_drivers.get("local")
    except UnknownVolumeDriver:
        return None
    return driver if isinstance(driver, LocalVolumeDriver) else None


def prepare_host(rt: Runtime) -> None:
    """Make the local volumes' root a shared mount. Call before starting any engine."""
    driver = _local_driver(rt)
    if driver is not None:
        driver.prepare_host()


def release_host(rt: Runtime) -> list[str]:
    """Undo `prepare_host` once no engine on this host needs it and no volume is mounted;
    returns why it was left (empty: undone, or nothing to undo)."""
    driver = _local_driver(rt)
    return [] if driver is None else driver.release_host()


def recover(rt: Runtime, *, grace: float = 0.0) -> list[str]:
    """Finish or fail volumes of this host left `creating` or `deleting` by a dead process.

    Only rows unchanged for `grace` seconds are touched (another live process on this host
    may still be working on a newer one). Returns one line per volume handled.
    """
    cutoff = utcnow() - dt.timedelta(seconds=grace)
    with rt.db.read() as session:
        stuck = [
            v
            for v in repo.in_statuses(session, (VolumeStatus.CREATING, VolumeStatus.DELETING))
            if v.host == rt.conf.host and (v.updated_at or v.created_at) <= cutoff
        ]
    reports = []
    for volume in stuck:
        try:
            reports.append(_recover_one(rt, volume))
        except Exception as exc:  # one broken volume must not stop the others
            LOG.exception("volume %s: recovery failed", volume.uuid)
            reports.append(f"{volume.uuid}: recovery failed: {exc}")
    return reports


def _recover_one(rt: Runtime, volume: Volume) -> str:
    if volume.status == VolumeStatus.DELETING:
        try:
            finish_delete(rt, volume, volume.user_id, None)
        except exceptions.VolumeBackendError as exc:
            return f"{volume.uuid}: delete interrupted, failed again: {exc}"
        return f"{volume.uuid}: delete interrupted by a restart, finished"
    driver = driver_for(rt, volume)
    if driver.exists(volume_ref(volume)):
        backend_ref = driver.create(volume_ref(volume))  # idempotent: finds what is there
        _set(rt, volume.uuid, status=VolumeStatus.AVAILABLE.value, backend_ref=backend_ref,
             status_reason=None)  # fmt: skip
        return f"{volume.uuid}: create interrupted by a restart, volume complete: available"
    reason = "Dockyard stopped while creating this volume; delete it and create it again"
    _set(rt, volume.uuid, status=VolumeStatus.ERROR.value, status_reason=reason)
    return f"{volume.uuid}: create interrupted by a restart: error"
