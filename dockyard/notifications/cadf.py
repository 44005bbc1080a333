"""CADF audit events for cluster operations, shaped as Magnum emits them (pycadf)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable
from typing import Any

from pycadf import attachment, cadftaxonomy, cadftype, eventfactory, resource

# Magnum's ids (noauth users such as "admin") are not always uuids; pycadf warns on each.
warnings.filterwarnings("ignore", message="Invalid uuid", module="pycadf.identifier")

ACTIONS = {
    "create": cadftaxonomy.ACTION_CREATE,
    "update": cadftaxonomy.ACTION_UPDATE,
    "delete": cadftaxonomy.ACTION_DELETE,
    # CADF actions pycadf has no constant for (containers: dockyard.container.start|stop).
    "start": "start",
    "stop": "stop",
    # A node of a cluster seen down or back (dockyard.cluster.node.down|up): an observation.
    "node.down": "monitor",
    "node.up": "monitor",
}
OUTCOMES = {
    "pending": cadftaxonomy.OUTCOME_PENDING,
    "success": cadftaxonomy.OUTCOME_SUCCESS,
    "failure": cadftaxonomy.OUTCOME_FAILURE,
}


def attachment_content(row: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of `row` for an event's attachment, timestamps as ISO text."""
    content: dict[str, Any] = {}
    for name in names:
        value = getattr(row, name, None)
        content[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    return content


def activity_event(
    *,
    resource_type: str,
    target_id: str,
    action: str,
    outcome: str,
    user_id: str,
    project_id: str,
    data: dict[str, Any],
    data_name: str,
) -> dict[str, Any]:
    """A CADF activity event (as a dict) with `data` attached under `data_name`."""
    initiator = resource.Resource(
        typeURI=cadftaxonomy.ACCOUNT_USER, id=user_id or cadftaxonomy.UNKNOWN
    )
    initiator.project_id = project_id or cadftaxonomy.UNKNOWN
    event = eventfactory.EventFactory().new_event(
        eventType=cadftype.EVENTTYPE_ACTIVITY,
        outcome=OUTCOMES[outcome],
        action=ACTIONS[action],
        initiator=initiator,
        target=resource.Resource(typeURI=resource_type, id=target_id),
        observer=resource.Resource(typeURI=resource_type),
    )
    event.add_attachment(
        attachment.Attachment(typeURI="mime:application/json", content=data, name=data_name)
    )
    result: dict[str, Any] = event.as_dict()
    return result
