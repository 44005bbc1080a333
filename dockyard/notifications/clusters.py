"""Cluster notifications (`magnum.cluster.<action>`) built from cluster rows."""

from __future__ import annotations

from typing import Any

from dockyard.db.models import Cluster
from dockyard.domain.status import OperationKind
from dockyard.notifications.notifier import CLUSTER_FIELDS, Notifier

_ACTIONS = {OperationKind.CREATE: "create", OperationKind.DELETE: "delete"}


def action_of(kind: OperationKind | str) -> str:
    """Magnum's action for an operation: resize, upgrade and CA rotation are updates."""
    return _ACTIONS.get(OperationKind(kind), "update")


def cluster_payload(cluster: Cluster) -> dict[str, Any]:
    payload = {name: getattr(cluster, name, None) for name in CLUSTER_FIELDS}
    for key in ("created_at", "updated_at"):
        if payload[key] is not None:
            payload[key] = payload[key].isoformat()
    return payload


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
