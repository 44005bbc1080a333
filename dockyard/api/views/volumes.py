"""Volume rendering."""

from __future__ import annotations

from typing import Any

from dockyard.api.views.common import links, pick, timestamp
from dockyard.db.models import VolumeAttachment

COLLECTION = "volumes"
FIELDS = ("uuid", "name", "size", "status", "status_reason", "project_id", "user_id", "host")


def render(volume: Any, base: str) -> dict[str, Any]:
    """A volume as listed: a row (listed) or an ORM object."""
    body = pick(volume, FIELDS)
    options = (volume["options"] if isinstance(volume, dict) else volume.options) or {}
    body["volume_driver"] = volume["driver"] if isinstance(volume, dict) else volume.driver
    body["options"] = {
        "fstype": options.get("fstype", "ext4"),
        "multiattach": bool(options.get("multiattach", False)),
    }
    if isinstance(volume, dict) and "attachment_count" in volume:
        body["attachment_count"] = volume["attachment_count"]
    body["links"] = links(base, COLLECTION, body["uuid"])
    created = volume["created_at"] if isinstance(volume, dict) else volume.created_at
    updated = volume["updated_at"] if isinstance(volume, dict) else volume.updated_at
    body["created_at"] = timestamp(created)
    body["updated_at"] = timestamp(updated)
    return body


def render_detail(
    volume: Any, base: str, attachments: list[VolumeAttachment], usage: Any
) -> dict[str, Any]:
    """A volume as shown: with its attachments and, when the driver knows, its usage
    (`services.volumes.usage_of`)."""
    body = render(volume, base)
    body["attachment_count"] = len(attachments)
    body["attachments"] = [
        {
            "engine": a.engine,
            "mount_id": a.mount_id,
            "container_id": a.container_id,
            "mountpoint": a.mountpoint,
            "created_at": timestamp(a.created_at),
        }
        for a in attachments
    ]
    body["usage"] = (
        None
        if usage is None
        else {
            "size_bytes": usage.size,
            "allocated_bytes": usage.allocated,
            "filesystem_bytes": usage.total,
            "used_bytes": usage.used,
        }
    )
    return body


def patchable(volume: Any) -> dict[str, Any]:
    """The document a JSON patch applies to."""
    return {"name": volume.name, "size": volume.size}
