"""Container rendering."""

from __future__ import annotations

from typing import Any

from dockyard.api.views.common import links, timestamp

FIELDS = (
    "uuid",
    "name",
    "project_id",
    "user_id",
    "image",
    "command",
    "environment",
    "mounts",
    "status",
    "status_reason",
    "host",
    "cluster_id",
)


def render(container: Any, base: str) -> dict[str, Any]:
    """A container row (ORM object or listed record) as the API shows it."""
    body = {name: getattr(container, name) for name in FIELDS}
    body["created_at"] = timestamp(container.created_at)
    body["updated_at"] = timestamp(container.updated_at)
    body["links"] = links(base, "containers", container.uuid)
    return body
