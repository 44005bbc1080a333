"""Container notifications: `dockyard.container.<create|delete|start|stop>` (CADF)."""

from __future__ import annotations

from typing import Any

from dockyard.notifications.cadf import attachment_content
from dockyard.notifications.notifier import Notifier

CONTAINER_TYPE_URI = "service/dockyard/container"
FIELDS = (
    "uuid",
    "name",
    "project_id",
    "user_id",
    "image",
    "status",
    "status_reason",
    "host",
    "cluster_id",
    "created_at",
    "updated_at",
)


def container_event(
    notifier: Notifier, action: str, outcome: str, container: Any, user_id: str
) -> None:
    """Send `dockyard.container.<action>` (create, delete, start, stop) with `outcome`."""
    notifier.resource(
        "dockyard.container", CONTAINER_TYPE_URI, "container_data", action, outcome,
        attachment_content(container, FIELDS), user_id, container.project_id,
    )  # fmt: skip
