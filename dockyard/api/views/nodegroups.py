"""Nodegroup rendering."""

from __future__ import annotations

from typing import Any

from dockyard.api.views.clusters import label_differences
from dockyard.api.views.common import pick, string_labels, timestamp
from dockyard.db.models import Cluster, NodeGroup

SUMMARY = (
    "uuid",
    "name",
    "flavor_id",
    "image_id",
    "node_count",
    "role",
    "is_default",
    "status",
    "stack_id",
    "min_node_count",
    "max_node_count",
)
FULL = (
    *SUMMARY,
    "id",
    "project_id",
    "docker_volume_size",
    "status_reason",
    "version",
)


def render(ng: NodeGroup, cluster: Cluster, base: str, *, full: bool) -> dict[str, Any]:
    body = pick(ng, FULL if full else SUMMARY)
    body["merge_labels"] = False
    path = f"clusters/{cluster.uuid}/nodegroups/{ng.uuid}"
    body["links"] = [
        {"href": f"{base}/v1/{path}", "rel": "self"},
        {"href": f"{base}/{path}", "rel": "bookmark"},
    ]
    if full:
        labels = string_labels(ng.labels)
        body["cluster_id"] = cluster.uuid
        body["labels"] = labels
        body["node_addresses"] = list(ng.node_addresses or [])
        body["node_labels"] = dict(ng.node_labels or {})
        body["node_taints"] = list(ng.node_taints or [])
        body["created_at"] = timestamp(ng.created_at)
        body["updated_at"] = timestamp(ng.updated_at)
        body.update(label_differences(cluster.labels or {}, labels))
    return body
