"""A container create request checked before anything is written or started: the command,
the shape of the volume fields, and every mount resolved (Dockyard volumes of the project,
host directories from the operator's allow-list)."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import Any

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.services import volumes as volume_service
from dockyard.services.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Mount:
    """A checked mount: a Dockyard volume (uuid) or an allowed host directory."""

    type: str
    source: str
    destination: str
    read_only: bool = False

    def record(self) -> dict[str, Any]:
        """The mount as the container row keeps it."""
        return {"type": self.type, "source": self.source, "destination": self.destination,
                "read_only": self.read_only}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Mounts:
    """What a create mounts: checked mounts, and the volume to create first, if any."""

    checked: list[Mount]
    to_create: dict[str, Any] | None


def command(value: list[str] | str | None) -> list[str]:
    """The command as a list: a string is split as a shell would (no shell runs it)."""
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    try:
        return shlex.split(value)
    except ValueError as exc:
        raise exceptions.InvalidField(field="command", value=value, reason=str(exc)) from None


def check_shape(body: dict[str, Any]) -> None:
    """The volume fields fit together and no two mounts share a destination (400 if not)."""
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


def allowed_host_path(rt: Runtime, source: str) -> str:
    """`source` resolved (`..` and symlinks), if it lies under an allowed prefix; else 400."""
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


def _volume(rt: Runtime, ctx: RequestContext, ident: str) -> Any | None:
    """The project's volume named or numbered `ident`, or None."""
    try:
        return volume_service.get(rt, ctx, ident)
    except exceptions.NotFound:
        return None


def _volume_mount(volume: Any, destination: str, read_only: bool) -> Mount:
    if volume.status in ("error", "deleting"):
        raise exceptions.InvalidParameterValue(
            err=f"Volume {volume.name} cannot be mounted while its status is {volume.status}."
        )
    return Mount("volume", volume.uuid, destination, read_only)


def resolve_mounts(rt: Runtime, ctx: RequestContext, body: dict[str, Any]) -> Mounts:
    """Every mount checked, plus the volume to create first (seed 001, approach 1), if any."""
    checked: list[Mount] = []
    given = body.get("mounts") or []
    for item in given:
        if item["type"] == "bind":
            rt.policy.authorize(ctx, "container:create:host_mount")
            path = allowed_host_path(rt, item["source"])
            checked.append(Mount("bind", path, item["destination"], item["read_only"]))
    for item in given:
        if item["type"] == "volume":
            volume = _volume(rt, ctx, item["source"])
            if volume is None:
                raise exceptions.InvalidParameterValue(
                    err=f"Volume {item['source']} does not exist (mounts name existing volumes; "
                    "vol_name with vol_size creates one)."
                )
            checked.append(_volume_mount(volume, item["destination"], item["read_only"]))
    name = body.get("vol_name")
    if not name:
        return Mounts(checked, None)
    volume = _volume(rt, ctx, name)
    if volume is None:
        if body.get("vol_size") is None:
            raise exceptions.InvalidParameterValue(
                err=f"Volume {name} does not exist: give vol_size to create it."
            )
        to_create = {"name": name, "size": body["vol_size"]}
        if body.get("volume_driver"):
            to_create["volume_driver"] = body["volume_driver"]
        return Mounts(checked, to_create)
    driver = body.get("volume_driver")
    if driver and driver != volume.driver:
        raise exceptions.InvalidParameterValue(
            err=f"Volume {name} exists with volume_driver {volume.driver}, not {driver}."
        )
    checked.append(_volume_mount(volume, body["vol_destination"], False))
    return Mounts(checked, None)
