"""The container host's engine as the container API uses it: names and labels, mounts in
Docker's terms, what the engine reports about a container, removal, and what the status sync
(`sync`) should record for the host's containers.

The engine is never called inside a database transaction: it may be waiting on the volume
plugin, and the plugin on the database (a real deadlock found by the tests).
"""

from __future__ import annotations

import contextlib
from typing import Any, NamedTuple

from dockyard.common import exceptions
from dockyard.db.models import Container
from dockyard.domain import containers as domain
from dockyard.domain.containers import ContainerStatus
from dockyard.domain.engines import PLUGIN_NAME
from dockyard.services import container_hosts
from dockyard.services.runtime import Runtime

# The engine label that carries a container's Dockyard uuid.
LABEL = "dockyard.container"
GONE = "the container is gone from the container host"
HOST_DOWN = "the container host is not running"
NO_REGISTRY = (
    "no registry is reachable from the container host (it has no network beyond its own "
    "containers), so images are never pulled: an administrator must load it into the host "
    "first (docker load)"
)


class Seen(NamedTuple):
    """A container's recorded status, as the sync compares it with the engine's."""

    status: str
    reason: str | None
    docker_id: str | None


def engine_name(container_uuid: str) -> str:
    """The engine-side name of a Dockyard container."""
    return f"dockyard-{container_uuid}"


def error_text(exc: Exception) -> str:
    """What the engine said, without the SDK's wrapping."""
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)


def host_up(rt: Runtime) -> bool:
    """Whether the container host's engine answers (nothing is started)."""
    if not rt.conf.containers.enabled:
        return False
    return container_hosts.engine(rt).status().answers


def find(api: Any, container_uuid: str) -> Any | None:
    """The engine's container for `container_uuid`, or None."""
    from dockyard.providers.docker_local import sdk

    try:
        return api.containers.get(engine_name(container_uuid))
    except sdk.NotFound:
        return None


def check_image(api: Any, image: str) -> None:
    """400 when the host does not have `image` (nothing is ever pulled)."""
    from dockyard.providers.docker_local import sdk

    try:
        api.images.get(image)
    except sdk.ImageNotFound:
        raise exceptions.InvalidParameterValue(
            err=f"Image {image} is not on the container host: {NO_REGISTRY}."
        ) from None


def seen(row: Container) -> Seen:
    return Seen(row.status, row.status_reason, row.docker_id)


def reported(found: Any) -> Seen:
    """What the engine reports about one of its containers (as last inspected)."""
    status, reason = domain.from_engine(found.attrs.get("State") or {})
    return Seen(status.value, reason, found.id)


def record(row: Container, found: Any | None, missing_reason: str = GONE) -> None:
    """Set `row` from the engine's container (None: it is not on the engine)."""
    apply(row, None if found is None else reported(found), missing_reason)


def apply(row: Container, seen_now: Seen | None, missing_reason: str = GONE) -> None:
    """Set `row` from what its engine reports (None: the container is not there)."""
    if seen_now is None:
        row.status, row.status_reason = ContainerStatus.ERROR.value, missing_reason
    else:
        row.status, row.status_reason, row.docker_id = seen_now


def _docker_mounts(mounts: list[dict[str, Any]]) -> list[Any]:
    from dockyard.providers.docker_local.sdk import DriverConfig, Mount

    result = []
    for m in mounts:
        read_only = bool(m.get("read_only"))
        if m["type"] == "volume":
            driver = DriverConfig(PLUGIN_NAME)
            result.append(
                Mount(m["destination"], m["source"], type="volume", read_only=read_only,
                      driver_config=driver)
            )  # fmt: skip
        else:
            result.append(Mount(m["destination"], m["source"], type="bind", read_only=read_only))
    return result


def create(api: Any, row: Container, *, start: bool) -> tuple[Any | None, str | None]:
    """Create (and start) the engine's container for `row`: (the container as inspected
    after the start or None, what the engine refused or None)."""
    from dockyard.providers.docker_local import sdk

    labels = {LABEL: row.uuid, "dockyard.project": row.project_id}
    try:
        made = api.containers.create(
            row.image,
            row.command or None,
            name=engine_name(row.uuid),
            environment=row.environment or None,
            labels=labels,
            mounts=_docker_mounts(row.mounts),
            detach=True,
        )
        if start:
            made.start()
        failure = None
    except sdk.DockerException as exc:
        failure = error_text(exc)
    return find(api, row.uuid), failure


def act(rt: Runtime, found: Any, action: str) -> str | None:
    """Start or stop the engine's container; returns what went wrong, or None."""
    from dockyard.providers.docker_local import sdk

    try:
        if action == "start":
            found.start()
        else:
            found.stop(timeout=int(rt.conf.containers.stop_timeout))
    except sdk.DockerException as exc:
        return error_text(exc)
    finally:
        found.reload()
    return None


def remove(rt: Runtime, container_uuid: str) -> str | None:
    """Stop (gracefully) and remove the engine's container with its anonymous volumes; a
    Dockyard volume stays. Returns what went wrong, or None."""
    from dockyard.providers.docker_local import sdk

    api = container_hosts.client(rt)
    try:
        found = find(api, container_uuid)
        if found is None:
            return None
        if found.status in ("running", "restarting", "paused"):
            found.stop(timeout=int(rt.conf.containers.stop_timeout))
        volume_names = [
            m.get("Name") for m in found.attrs.get("Mounts", [])
            if m.get("Type") == "volume" and m.get("Driver") == PLUGIN_NAME
        ]  # fmt: skip
        found.remove(v=True, force=True)
        for name in volume_names:
            # The engine's reference only: on a shared engine the plugin's Remove just
            # forgets it (the Dockyard volume stays). Refused while another container uses it.
            with contextlib.suppress(sdk.APIError):
                api.volumes.get(name).remove()
        return None
    except sdk.NotFound:
        return None
    except sdk.DockerException as exc:
        return error_text(exc)
    finally:
        api.close()


def logs(rt: Runtime, name: str, container_uuid: str, tail: int | None) -> str:
    """The container's stdout and stderr as the engine kept them (the last `tail` lines)."""
    if not host_up(rt):
        raise exceptions.Conflict("The container host is not running: no logs to read.")
    api = container_hosts.engine(rt).client()
    try:
        found = find(api, container_uuid)
        if found is None:
            raise exceptions.Conflict(f"Container {name} has no logs: it is not on the engine.")
        raw = found.logs(stdout=True, stderr=True, tail="all" if tail is None else tail)
    finally:
        api.close()
    return bytes(raw).decode("utf-8", "replace")


# -- the status sync ------------------------------------------------------------------------
def _listed(rt: Runtime, uuids: list[str]) -> dict[str, Any] | None:
    """The engine's Dockyard containers by uuid, at least those of `uuids` (None: the host is
    not running)."""
    if not host_up(rt):
        return None
    # Listed unsparse, every container is inspected: for one container (a show) ask for it
    # alone, so a show costs the same with 1 or 100 containers on the host.
    wanted = f"{LABEL}={uuids[0]}" if len(uuids) == 1 else LABEL
    api = container_hosts.engine(rt).client(timeout=15)
    try:
        # Listed unsparse: attrs are inspect's, State a dict.
        listed = api.containers.list(all=True, filters={"label": wanted})
        return {c.labels.get(LABEL): c for c in listed}
    finally:
        api.close()


def _expected(recorded: Seen, found: Any | None, host_running: bool) -> Seen:
    if not host_running:
        if recorded.status == ContainerStatus.RUNNING.value:
            return Seen(ContainerStatus.STOPPED.value, HOST_DOWN, recorded.docker_id)
        return recorded
    if found is None:
        if recorded.docker_id is None and recorded.status == ContainerStatus.ERROR.value:
            return recorded  # never made it onto the engine; keeps its reason
        return Seen(ContainerStatus.ERROR.value, GONE, recorded.docker_id)
    return reported(found)


def expected_on_host(rt: Runtime, recorded: dict[str, Seen]) -> dict[str, Seen]:
    """What the rows `recorded` (containers of the container host) should say, from the
    host's engine; nothing is started."""
    listed = _listed(rt, list(recorded))
    return {
        container_uuid: _expected(before, None if listed is None else listed.get(container_uuid),
                                  listed is not None)
        for container_uuid, before in recorded.items()
    }  # fmt: skip
