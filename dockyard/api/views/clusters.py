"""Cluster rendering: summary (list) and full (show, detail) views, per microversion."""

from __future__ import annotations

from typing import Any

from dockyard.api import microversions
from dockyard.api.microversions import Version
from dockyard.api.views.common import RenderCache, links, pick, string_labels, timestamp
from dockyard.domain.status import FAILED
from dockyard.services.clusters import ClusterView

SUMMARY = (
    "uuid",
    "name",
    "cluster_template_id",
    "keypair",
    "docker_volume_size",
    "node_count",
    "status",
    "master_flavor_id",
    "flavor_id",
    "create_timeout",
    "master_count",
    "health_status",
)
FULL = (
    *SUMMARY,
    "discovery_url",
    "status_reason",
    "api_address",
    "coe_version",
    "container_version",
    "project_id",
    "user_id",
    "fixed_network",
    "fixed_subnet",
    "floating_ip_enabled",
    "master_lb_enabled",
)


def render(
    view: ClusterView,
    base: str,
    version: Version,
    *,
    full: bool,
    with_faults: bool = False,
    collection: str = "clusters",
) -> dict[str, Any]:
    cluster = view.cluster
    body = pick(cluster, FULL if full else SUMMARY)
    labels = string_labels(cluster.labels)
    body["labels"] = labels
    body["merge_labels"] = False
    id_field = "cluster_id" if version >= microversions.CLUSTER_ID_FIELD else "stack_id"
    body[id_field] = cluster.stack_id
    body["links"] = links(base, collection, cluster.uuid)
    if full:
        body["health_status_reason"] = dict(cluster.health_status_reason or {})
        body["created_at"] = timestamp(cluster.created_at)
        body["updated_at"] = timestamp(cluster.updated_at)
        body["master_addresses"] = _addresses(view, master=True)
        body["node_addresses"] = _addresses(view, master=False)
        if view.template_labels is not None:
            body.update(label_differences(view.template_labels, labels))
        if with_faults and cluster.status in FAILED:
            body["faults"] = {
                ng.name: ng.status_reason
                for ng in view.nodegroups
                if ng.status in FAILED and ng.status_reason
            } or {"cluster": cluster.status_reason}
    return body


_LISTED = RenderCache()


def render_summary(
    view: ClusterView, base: str, version: Version, *, collection: str = "clusters"
) -> dict[str, Any]:
    """The summary (list) view, memoised until the row's updated_at changes."""
    cluster = view.cluster
    id_field = "cluster_id" if version >= microversions.CLUSTER_ID_FIELD else "stack_id"
    key = (cluster.uuid, cluster.updated_at, cluster.created_at, base, collection, id_field)
    return _LISTED.get(key, lambda: render(view, base, version, full=False, collection=collection))


def _addresses(view: ClusterView, *, master: bool) -> list[str]:
    return [
        address
        for ng in view.nodegroups
        if (ng.role == "master") == master
        for address in (ng.node_addresses or [])
    ]


def label_differences(reference: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """labels_overridden (reference values), labels_added and labels_skipped."""
    ref = string_labels(reference)
    return {
        "labels_overridden": {k: v for k, v in ref.items() if k in labels and labels[k] != v},
        "labels_added": {k: v for k, v in labels.items() if k not in ref},
        "labels_skipped": {k: v for k, v in ref.items() if k not in labels},
    }
