"""Cluster (and bay) request bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dockyard.api.schemas.types import (
    ClusterName,
    CreateTimeout,
    DockerVolumeSize,
    Labels,
    MasterCount,
    MaxBatchSize,
    NodeCount,
    Str255,
)

READ_ONLY = (
    "stack_id",
    "cluster_id",
    "api_address",
    "coe_version",
    "container_version",
    "project_id",
    "user_id",
    "node_addresses",
    "master_addresses",
    "links",
    "created_at",
    "updated_at",
    "status",
    "status_reason",
    "health_status",
    "health_status_reason",
    "faults",
)


class ClusterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uuid: str | None = None  # accepted and replaced, as Magnum does
    name: ClusterName | None = None
    cluster_template_id: Str255
    keypair: Str255 | None = None
    node_count: NodeCount = 1
    master_count: MasterCount = 1
    create_timeout: CreateTimeout = 60
    discovery_url: str | None = Field(default=None, max_length=255)
    docker_volume_size: DockerVolumeSize | None = None
    labels: Labels | None = None
    merge_labels: bool = False
    master_flavor_id: Str255 | None = None
    flavor_id: Str255 | None = None
    fixed_network: Str255 | None = None
    fixed_subnet: Str255 | None = None
    floating_ip_enabled: bool | None = None
    master_lb_enabled: bool | None = None


class ClusterResize(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node_count: NodeCount
    nodes_to_remove: list[str] = Field(default_factory=list)
    nodegroup: Str255 | None = None


class ClusterUpgrade(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cluster_template: Str255
    max_batch_size: MaxBatchSize = 1
    nodegroup: Str255 | None = None


# Only these may differ after a cluster JSON patch.
PATCHABLE = frozenset({"node_count", "health_status", "health_status_reason"})
INTERNAL_PATHS = frozenset(
    {
        "/created_at",
        "/id",
        "/links",
        "/updated_at",
        "/uuid",
        "/project_id",
        "/user_id",
        "/api_address",
        "/node_addresses",
        "/master_addresses",
        "/stack_id",
        "/cluster_id",
        "/ca_cert_ref",
        "/magnum_cert_ref",
        "/etcd_ca_cert_ref",
        "/front_proxy_ca_cert_ref",
    }
)
