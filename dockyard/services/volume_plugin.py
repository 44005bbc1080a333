"""What Dockyard's Docker volume plugin does for an engine: the rules behind each call.

Each function gets the `EngineSocket` the request came in on; it decides how names resolve
(an engine of a project: names within that project; a shared engine: volume uuids only) and
who may mount (one engine at a time unless the volume is multiattach or the engine may
preempt). Mount and Unmount hold the volume's row lock while the driver mounts or unmounts,
so attachment records and real mounts change together. Errors are `PluginRefused`, whose
message the plugin hands to Docker as `Err`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.common import exceptions
from dockyard.db.models import Volume, utcnow
from dockyard.db.repositories import volumes as repo
from dockyard.db.repositories.lookup import is_uuid_like
from dockyard.domain import volumes as rules
from dockyard.domain.engines import PLUGIN_NAME, EngineSocket
from dockyard.domain.volumes import VolumeStatus
from dockyard.providers.docker_local.volume_users import introduce_plugin, volume_users
from dockyard.services import volumes
from dockyard.services.runtime import Runtime
from dockyard.volume_drivers.base import VolumeDriverError

LOG = logging.getLogger(__name__)
# Docker calls Mount before it starts the container: a record this young whose container the
# engine does not report yet is kept by reconciliation.
MOUNT_GRACE_SECONDS = 60
# Mount id prefix of attachments recorded by reconciliation (Docker's own id is unknown).
RECONCILED = "reconciled:"
DETACH_FAILED = "detach failed (still mounted on the host)"


class PluginRefused(Exception):
    """A plugin call that cannot be done; the message goes back to Docker as `Err`."""


@dataclass(frozen=True, slots=True)
class PluginVolume:
    """A volume as Docker sees it through one engine."""

    name: str
    mountpoint: str
    status: dict[str, Any]


def docker_name(engine: EngineSocket, volume: Volume) -> str:
    """The name the engine knows the volume by: its name in a project engine, else its uuid."""
    return volume.name if engine.project_id is not None else volume.uuid


def _find(session: Any, engine: EngineSocket, name: str) -> Volume | None:
    if engine.project_id is None and not is_uuid_like(name):
        return None
    try:
        return repo.get(session, name, engine.project_id)
    except exceptions.VolumeNotFound:
        return None


def _require(session: Any, engine: EngineSocket, name: str) -> Volume:
    volume = _find(session, engine, name)
    if volume is None:
        hint = "" if engine.project_id is not None else " (this engine names volumes by uuid)"
        raise PluginRefused(f"no Dockyard volume {name!r}{hint}")
    return volume


def _locked(session: Any, engine: EngineSocket, name: str) -> Volume:
    volume = repo.lock(session, _require(session, engine, name).uuid)
    if volume is None:
        raise PluginRefused(f"volume {name!r} was deleted")
    return volume


# -- VolumeDriver.Create / Remove ------------------------------------------------------------
def create(rt: Runtime, engine: EngineSocket, name: str, opts: Mapping[str, Any] | None) -> None:
    """Docker's Create: a no-op for an existing volume; a new volume on a project's engine."""
    with rt.db.read() as session:
        if _find(session, engine, name) is not None:
            return
    if engine.project_id is None:
        raise PluginRefused(
            f"no Dockyard volume {name!r}: on this engine volumes are named by uuid and "
            "created through the Dockyard API (openstack coe volume create)"
        )
    opts = dict(opts or {})
    size = opts.pop("size", rt.conf.volume.default_size_gib)
    try:
        volume = volumes.create_in_project(
            rt, engine.project_id, f"docker:{engine.engine}"[:255], size=size, name=name,
            options=opts,
        )  # fmt: skip
    except exceptions.DockyardError as exc:
        raise PluginRefused(str(exc)) from None
    if volume.status == VolumeStatus.ERROR:
        raise PluginRefused(f"volume {name} could not be created: {volume.status_reason}")


def remove(rt: Runtime, engine: EngineSocket, name: str) -> None:
    """Docker's Remove: deletes the volume on a project's engine; a shared engine only forgets
    it (its volumes belong to the Dockyard API, which deletes them)."""
    if engine.project_id is None:
        return
    with rt.db.write() as session:
        volume = _find(session, engine, name)
        if volume is None:
            return
        try:
            volume = volumes.delete_locked(session, volume.uuid)
        except exceptions.DockyardError as exc:
            raise PluginRefused(str(exc)) from None
    try:
        volumes.finish_delete(rt, volume, f"docker:{engine.engine}", None)
    except exceptions.DockyardError as exc:
        raise PluginRefused(str(exc)) from None


# -- Mount / Unmount -------------------------------------------------------------------------
def mount(rt: Runtime, engine: EngineSocket, name: str, mount_id: str) -> str:
    """Docker's Mount: attach the volume on this host and record the engine's mount."""
    with rt.db.write() as session:
        volume = _locked(session, engine, name)
        if not rules.allows("mount", volume.status):
            raise PluginRefused(f"volume {name} is {volume.status}: {volume.status_reason or ''}")
        others = sorted(
            {a.engine for a in repo.attachments(session, volume.uuid)} - {engine.engine}
        )
        if others and not (volume.options or {}).get("multiattach"):
            if not engine.preempt:
                raise PluginRefused(
                    f"volume {name} is mounted by {', '.join(others)}; it is not multiattach"
                )
            for other in others:
                repo.remove_attachments(session, volume.uuid, other)
            volume.status_reason = f"taken over by {engine.engine} from {', '.join(others)}"
            LOG.warning("volume %s: %s (preempt)", volume.uuid, volume.status_reason)
        try:
            mountpoint = volumes.driver_for(rt, volume).attach(volumes.volume_ref(volume))
        except (VolumeDriverError, exceptions.VolumeBackendError) as exc:
            raise PluginRefused(f"volume {name} could not be mounted: {exc}") from None
        repo.remove_attachments(session, volume.uuid, engine.engine, mount_id)
        repo.add_attachment(session, volume.uuid, engine.engine, mount_id, mountpoint)
        volume.status = VolumeStatus.IN_USE.value
        session.flush()
    return mountpoint


def unmount(rt: Runtime, engine: EngineSocket, name: str, mount_id: str) -> None:
    """Docker's Unmount: forget the engine's mount; the last one unmounts the volume."""
    with rt.db.write() as session:
        volume = _locked(session, engine, name)
        if not repo.remove_attachments(session, volume.uuid, engine.engine, mount_id):
            # A mount recorded by reconciliation: Docker's id for it was lost in a crash.
            guessed = [
                a
                for a in repo.attachments(session, volume.uuid)
                if a.engine == engine.engine and a.mount_id.startswith(RECONCILED)
            ]
            if guessed:
                repo.remove_attachments(session, volume.uuid, engine.engine, guessed[0].mount_id)
        _detach_if_unused(rt, session, volume)


def _detach_if_unused(rt: Runtime, session: Any, volume: Volume) -> None:
    if repo.attachments(session, volume.uuid):
        return
    try:
        volumes.driver_for(rt, volume).detach(volumes.volume_ref(volume))
    except (VolumeDriverError, exceptions.VolumeBackendError) as exc:
        LOG.warning("volume %s: detach failed: %s", volume.uuid, exc)
        volume.status_reason = f"{DETACH_FAILED}: {exc}"
    if volume.status == VolumeStatus.IN_USE:
        volume.status = VolumeStatus.AVAILABLE.value
    session.flush()


def introduce(engine: EngineSocket) -> bool:
    """Have the engine use the plugin once, so it lists it; False while it does not answer."""
    if engine.docker_url is None:
        return True
    try:
        introduce_plugin(engine.docker_url, engine.tls, PLUGIN_NAME)
    except Exception as exc:
        LOG.debug("volume plugin: %s does not answer yet: %s", engine.engine, exc)
        return False
    return True


def forget_engine(rt: Runtime, engine: str) -> list[str]:
    """An engine is gone for good (destroyed without unmounting): drop its attachment records
    and unmount the volumes no other engine uses. Returns what could not be unmounted."""
    with rt.db.read() as session:
        held = sorted({a.volume_id for a in repo.all_attachments(session) if a.engine == engine})
    problems = []
    for volume_uuid in held:
        with rt.db.write() as session:
            volume = repo.lock(session, volume_uuid)
            if volume is None:
                continue
            repo.remove_attachments(session, volume_uuid, engine)
            _detach_if_unused(rt, session, volume)
            if (volume.status_reason or "").startswith(DETACH_FAILED):
                problems.append(f"volume {volume_uuid}: {volume.status_reason}")
    return problems


# -- Path / Get / List -----------------------------------------------------------------------
def _describe(rt: Runtime, engine: EngineSocket, volume: Volume) -> PluginVolume:
    driver = volumes.driver_for(rt, volume)
    ref = volumes.volume_ref(volume)
    mountpoint = driver.mountpoint(ref) if driver.is_attached(ref) else ""
    status = {
        "uuid": volume.uuid,
        "size_gib": volume.size,
        "status": volume.status,
        "volume_driver": volume.driver,
        "multiattach": bool((volume.options or {}).get("multiattach")),
    }
    return PluginVolume(docker_name(engine, volume), mountpoint, status)


def path(rt: Runtime, engine: EngineSocket, name: str) -> str:
    """Docker's Path: where the volume is mounted on this host ("" when it is not)."""
    with rt.db.read() as session:
        volume = _require(session, engine, name)
    return _describe(rt, engine, volume).mountpoint


def get(rt: Runtime, engine: EngineSocket, name: str) -> PluginVolume:
    """Docker's Get."""
    with rt.db.read() as session:
        volume = _require(session, engine, name)
    return _describe(rt, engine, volume)


def list_for(rt: Runtime, engine: EngineSocket) -> list[PluginVolume]:
    """Docker's List: a project engine sees its project's volumes; a shared engine the
    volumes it has mounted (it must not see other projects' names)."""
    with rt.db.read() as session:
        if engine.project_id is not None:
            found = repo.all_in_project(session, engine.project_id)
        else:
            mounted = {
                a.volume_id for a in repo.all_attachments(session) if a.engine == engine.engine
            }
            found = [v for v in repo.all_in_project(session, None) if v.uuid in mounted]
    return [_describe(rt, engine, v) for v in found if v.status != VolumeStatus.DELETING]


# -- reconciliation --------------------------------------------------------------------------
def reconcile(
    rt: Runtime, engines: list[EngineSocket], cutoff: dt.datetime | None = None
) -> list[str]:
    """Make attachment records and host mounts match what the engines report.

    For each engine that answers, and each volume whose records there are all older than
    `cutoff` (default: MOUNT_GRACE_SECONDS ago), the records are rebuilt when their number
    differs from the containers holding the volume: one record per holder (Docker's mount ids
    are not visible through its API, so they become `reconciled:<container>`). When the
    numbers match, a record made by Mount learns its container if that is unambiguous. Engines that
    do not answer keep their records. Then volumes of this host with records are mounted (the
    same loop device is reused, never a second one) and those without are unmounted.
    """
    if cutoff is None:
        cutoff = utcnow() - dt.timedelta(seconds=MOUNT_GRACE_SECONDS)
    reports: list[str] = []
    for engine in engines:
        if engine.docker_url is None:
            continue
        try:
            users = volume_users(engine.docker_url, engine.tls, PLUGIN_NAME)
        except Exception as exc:
            reports.append(f"{engine.engine}: not reconciled, the engine did not answer: {exc}")
            continue
        reports += _reconcile_engine(rt, engine, users, cutoff)
    reports += _reconcile_mounts(rt)
    for line in reports:
        LOG.info("volume reconcile: %s", line)
    return reports


def _reconcile_engine(
    rt: Runtime, engine: EngineSocket, users: dict[str, list[str]], cutoff: dt.datetime
) -> list[str]:
    reports = []
    with rt.db.write() as session:
        held: dict[str, tuple[Volume, list[str]]] = {}
        for name, containers in users.items():
            volume = _find(session, engine, name)
            if volume is not None:
                held[volume.uuid] = (volume, containers)
        recorded: dict[str, list[Any]] = {}
        for row in repo.all_attachments(session):
            if row.engine == engine.engine:
                recorded.setdefault(row.volume_id, []).append(row)
        for volume_uuid in sorted(set(held) | set(recorded)):
            rows = recorded.get(volume_uuid, [])
            holders = held[volume_uuid][1] if volume_uuid in held else []
            if len(rows) == len(holders):
                if _name_holder(rows, holders):
                    reports.append(f"{volume_uuid}: mount record of {engine.engine} names its "
                                   "container")  # fmt: skip
                continue
            # A young record may be for a container Docker is still starting.
            if any(r.created_at > cutoff for r in rows):
                continue
            repo.remove_attachments(session, volume_uuid, engine.engine)
            if holders:
                volume = held[volume_uuid][0]
                mountpoint = volumes.driver_for(rt, volume).mountpoint(volumes.volume_ref(volume))
                for container in holders:
                    repo.add_attachment(
                        session, volume_uuid, engine.engine, f"{RECONCILED}{container[:12]}",
                        mountpoint, container_id=container,
                    )  # fmt: skip
            reports.append(
                f"{volume_uuid}: {len(rows)} mount record(s) of {engine.engine} replaced by "
                f"{len(holders)} from the engine"
            )
    return reports


def _name_holder(rows: list[Any], holders: list[str]) -> bool:
    """Docker's Mount does not say for which container: when exactly one record names none
    and exactly one holder is named by no record, that record is that holder's."""
    named = {r.container_id for r in rows}
    unnamed = [r for r in rows if not r.container_id]
    free = [h for h in holders if h not in named]
    if len(unnamed) != 1 or len(free) != 1:
        return False
    unnamed[0].container_id = free[0]
    return True


def _reconcile_mounts(rt: Runtime) -> list[str]:
    reports = []
    with rt.db.read() as session:
        mine = [v.uuid for v in repo.all_in_project(session, None) if v.host == rt.conf.host]
    for volume_uuid in mine:
        with rt.db.write() as session:
            volume = repo.lock(session, volume_uuid)
            if volume is None or volume.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
                continue
            driver = volumes.driver_for(rt, volume)
            ref = volumes.volume_ref(volume)
            attached = repo.attachments(session, volume.uuid)
            if attached:
                if not driver.is_attached(ref):
                    try:
                        driver.attach(ref)
                        reports.append(f"{volume.uuid}: mounted again for its recorded users")
                    except VolumeDriverError as exc:
                        volume.status_reason = f"could not mount again after a restart: {exc}"
                        reports.append(f"{volume.uuid}: {volume.status_reason}")
                volume.status = VolumeStatus.IN_USE.value
            else:
                if driver.is_attached(ref):
                    reports.append(f"{volume.uuid}: mounted but unused, unmounting")
                _detach_if_unused(rt, session, volume)
            session.flush()
    return reports
