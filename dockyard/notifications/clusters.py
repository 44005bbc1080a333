"""Cluster notifications (`magnum.cluster.<action>`) built from cluster rows."""

from __future__ import annotations

from typing import Any

from dockyard.db.models import Cluster
from dockyard.domain.status import OperationKind
from dockyard.notifications.cadf import attachment_content
from dockyard.notifications.notifier import CLUSTER_FIELDS, Notifier

_ACTIONS = {OperationKind.CREATE: "create", OperationKind.DELETE: "delete"}


def action_of(kind: OperationKind | str) -> str:
    """Magnum's action for an operation: resize, upgrade and CA rotation are updates."""
    return _ACTIONS.get(OperationKind(kind), "update")


def cluster_payload(cluster: Cluster) -> dict[str, Any]:
    """The cluster's fields as Magnum puts them in `cluster_data`, timestamps as ISO text."""
    return attachment_content(cluster, CLUSTER_FIELDS)


def cluster_event(
    notifier: Notifier,
    kind: OperationKind | str,
    outcome: str,
    cluster: Cluster,
    user_id: str,
) -> None:
    """Send `magnum.cluster.<action>` for `cluster` with `outcome`."""
    notifier.cluster(
        action_of(kind), outcome, cluster_payload(cluster), user_id, cluster.project_id
    )


TEMPLATE_TYPE_URI = "service/dockyard/clustertemplate"


def template_event(
    notifier: Notifier, action: str, template: Any, user_id: str, project_id: str
) -> None:
    """`dockyard.clustertemplate.<action>` (success): Dockyard's own event type."""
    data = {
        name: getattr(template, name, None)
        for name in ("uuid", "name", "coe", "image_id", "driver", "public", "hidden", "project_id")
    }
    notifier.resource(
        "dockyard.clustertemplate", TEMPLATE_TYPE_URI, "clustertemplate_data", action,
        "success", data, user_id, project_id,
    )  # fmt: skip
