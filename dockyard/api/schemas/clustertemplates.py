"""ClusterTemplate (and baymodel) request bodies."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from dockyard.api.schemas.types import DockerVolumeSize, Labels, Str255

READ_ONLY = ("links", "project_id", "user_id", "created_at", "updated_at", "id")


class ClusterTemplateAttributes(BaseModel):
    """Every writable attribute; also validates a template after a JSON patch."""

    model_config = ConfigDict(extra="forbid")

    uuid: UUID | None = None
    name: Str255 | None = None
    coe: Str255
    image_id: Str255
    flavor_id: Str255 | None = None
    master_flavor_id: Str255 | None = None
    keypair_id: Str255 | None = None
    dns_nameserver: Str255 | None = None
    external_network_id: Str255 | None = None
    fixed_network: Str255 | None = None
    fixed_subnet: Str255 | None = None
    network_driver: Str255 | None = None
    volume_driver: Str255 | None = None
    apiserver_port: int | None = Field(default=None, ge=1024, le=65535)
    docker_volume_size: DockerVolumeSize | None = None
    docker_storage_driver: Str255 | None = None
    cluster_distro: Str255 | None = None
    http_proxy: Str255 | None = None
    https_proxy: Str255 | None = None
    no_proxy: Str255 | None = None
    insecure_registry: Str255 | None = None
    registry_enabled: bool | None = None
    tls_disabled: bool | None = None
    public: bool | None = None
    hidden: bool | None = None
    server_type: Str255 | None = None
    master_lb_enabled: bool | None = None
    floating_ip_enabled: bool | None = None
    labels: Labels | None = None
    tags: str | None = Field(default=None, max_length=255)
    driver: Str255 | None = None


# Paths a JSON patch may never touch, and attributes that may not be removed.
INTERNAL_PATHS = frozenset(
    {"/created_at", "/id", "/links", "/updated_at", "/uuid", "/project_id", "/user_id"}
)
NOT_REMOVABLE = frozenset(
    {
        "/coe",
        "/image_id",
        "/network_driver",
        "/external_network_id",
        "/tls_disabled",
        "/public",
        "/server_type",
        "/registry_enabled",
        "/cluster_distro",
        "/hidden",
    }
)
