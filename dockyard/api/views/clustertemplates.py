"""ClusterTemplate rendering."""

from __future__ import annotations

from typing import Any

from dockyard.api.views.common import RenderCache, links, pick, string_labels, timestamp
from dockyard.db.models import ClusterTemplate

FIELDS = (
    "uuid",
    "name",
    "coe",
    "image_id",
    "flavor_id",
    "master_flavor_id",
    "keypair_id",
    "dns_nameserver",
    "external_network_id",
    "fixed_network",
    "fixed_subnet",
    "network_driver",
    "volume_driver",
    "apiserver_port",
    "docker_volume_size",
    "docker_storage_driver",
    "cluster_distro",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "insecure_registry",
    "registry_enabled",
    "tls_disabled",
    "public",
    "hidden",
    "server_type",
    "master_lb_enabled",
    "floating_ip_enabled",
    "tags",
    "driver",
    "project_id",
    "user_id",
)


def render(
    template: ClusterTemplate, base: str, collection: str = "clustertemplates"
) -> dict[str, Any]:
    body = pick(template, FIELDS)
    body["labels"] = string_labels(template.labels)
    body["links"] = links(base, collection, template.uuid)
    body["created_at"] = timestamp(template.created_at)
    body["updated_at"] = timestamp(template.updated_at)
    return body


_LISTED = RenderCache()


def render_listed(template: Any, base: str, collection: str) -> dict[str, Any]:
    """`render` for list items, memoised until the row's updated_at changes."""
    key = (template.uuid, template.updated_at, template.created_at, base, collection)
    return _LISTED.get(key, lambda: render(template, base, collection))


def patchable(template: ClusterTemplate) -> dict[str, Any]:
    """The writable attributes, as the document a JSON patch is applied to."""
    body = {
        name: getattr(template, name) for name in FIELDS if name not in ("project_id", "user_id")
    }
    body["labels"] = string_labels(template.labels)
    return body
