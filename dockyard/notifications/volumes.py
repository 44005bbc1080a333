"""Volume notifications: `dockyard.volume.<create|update|delete>` (CADF, like clusters)."""

from __future__ import annotations

from typing import Any

from dockyard.notifications.cadf import attachment_content
from dockyard.notifications.notifier import Notifier

VOLUME_TYPE_URI = "service/dockyard/volume"
VOLUME_FIELDS = (
    "uuid", "name", "project_id", "user_id", "size", "driver", "status", "status_reason",
    "options", "host", "created_at", "updated_at",
)  # fmt: skip


def volume_payload(volume: Any) -> dict[str, Any]:
    """The volume's fields as sent in `volume_data`, timestamps as ISO text."""
    return attachment_content(volume, VOLUME_FIELDS)


def volume_event(notifier: Notifier, action: str, outcome: str, volume: Any, user_id: str) -> None:
    """Send `dockyard.volume.<action>` (outcome pending, success or failure) for `volume`."""
    notifier.resource(
        "dockyard.volume", VOLUME_TYPE_URI, "volume_data", action, outcome,
        volume_payload(volume), user_id, volume.project_id,
    )  # fmt: skip
