"""Nodegroup request bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from dockyard.api.schemas.types import DockerVolumeSize, Labels, NodeCount, Str255

READ_ONLY = (
    "id",
    "cluster_id",
    "project_id",
    "node_addresses",
    "is_default",
    "stack_id",
    "status",
    "status_reason",
    "version",
    "links",
    "created_at",
    "updated_at",
)


class NodeGroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uuid: str | None = None  # accepted and replaced, as for clusters
    name: Str255
    node_count: NodeCount = 1
    min_node_count: NodeCount = 0
    max_node_count: NodeCount | None = None
    role: Str255 = "worker"
    docker_volume_size: DockerVolumeSize | None = None
    labels: Labels | None = None
    merge_labels: bool = False
    flavor_id: Str255 | None = None
    image_id: Str255 | None = None
    # Shapes are checked by dockyard.domain.nodegroups (409 NodeGroupInvalidInput, as Magnum).
    node_labels: dict[str, Any] | None = None
    node_taints: list[Any] | None = None


#: Paths a nodegroup JSON patch may not touch (Magnum's internal attributes).
INTERNAL_PATHS = frozenset(
    {
        "/id",
        "/uuid",
        "/links",
        "/created_at",
        "/updated_at",
        "/name",
        "/cluster_id",
        "/project_id",
        "/docker_volume_size",
        "/labels",
        "/flavor_id",
        "/image_id",
        "/node_addresses",
        "/node_count",
        "/role",
        "/is_default",
        "/stack_id",
        "/status",
        "/status_reason",
        "/version",
        "/merge_labels",
        "/labels_overridden",
        "/labels_added",
        "/labels_skipped",
    }
)
