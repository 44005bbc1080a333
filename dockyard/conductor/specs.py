"""Translation between database rows and what drivers see (ClusterSpec, ClusterFacts)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dockyard.db.models import Cluster
from dockyard.db.repositories import cluster_certificates as cert_repo
from dockyard.db.repositories import nodegroups as ng_repo
from dockyard.db.repositories import templates as template_repo
from dockyard.domain.certificates import NODE
from dockyard.drivers.base import ClusterFacts, ClusterSpec, NodeGroupSpec

# Template attributes a driver sees in ClusterSpec.template.
TEMPLATE_SNAPSHOT_FIELDS = (
    "uuid",
    "name",
    "coe",
    "image_id",
    "cluster_distro",
    "server_type",
    "network_driver",
    "volume_driver",
    "tls_disabled",
    "registry_enabled",
    "master_lb_enabled",
    "floating_ip_enabled",
    "docker_volume_size",
    "docker_storage_driver",
    "dns_nameserver",
    "external_network_id",
    "fixed_network",
    "fixed_subnet",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "insecure_registry",
    "apiserver_port",
    "labels",
    "driver",
)


def template_snapshot(session: Session, template_uuid: str) -> dict[str, object]:
    """What a driver sees of a template (ClusterSpec.template, or an upgrade's target)."""
    template = template_repo.get(session, template_uuid, None)
    return {f: getattr(template, f) for f in TEMPLATE_SNAPSHOT_FIELDS}


def build(session: Session, cluster: Cluster) -> ClusterSpec:
    """The driver's view of `cluster`, with its template and nodegroups."""
    template = template_repo.get(session, cluster.cluster_template_id, None)
    template_values = template_snapshot(session, template.uuid)
    nodegroups = tuple(
        NodeGroupSpec(
            uuid=ng.uuid,
            name=ng.name,
            role=ng.role,
            node_count=ng.node_count,
            flavor_id=ng.flavor_id,
            image_id=ng.image_id,
            labels=dict(ng.labels or {}),
            node_addresses=tuple(ng.node_addresses or ()),
            is_default=bool(ng.is_default),
            node_labels={str(k): str(v) for k, v in (ng.node_labels or {}).items()},
            node_taints=tuple(dict(t) for t in ng.node_taints or ()),
        )
        for ng in ng_repo.for_cluster(session, cluster.uuid)
    )
    return ClusterSpec(
        uuid=cluster.uuid,
        name=cluster.name,
        project_id=cluster.project_id,
        coe=template.coe,
        master_count=cluster.master_count,
        node_count=cluster.node_count,
        labels=dict(cluster.labels or {}),
        template=template_values,
        create_timeout=cluster.create_timeout,
        docker_volume_size=cluster.docker_volume_size,
        keypair=cluster.keypair,
        master_flavor_id=cluster.master_flavor_id,
        flavor_id=cluster.flavor_id,
        nodegroups=nodegroups,
        driver_state=dict(cluster.driver_state or {}),
        api_address=cluster.api_address,
    )


def apply_facts(session: Session, cluster: Cluster, facts: ClusterFacts) -> None:
    """Copy what the driver learned onto the cluster and its nodegroups."""
    for name in ("api_address", "stack_id", "coe_version", "container_version"):
        value = getattr(facts, name)
        if value is not None:
            setattr(cluster, name, value)
    per_group = facts.nodegroup_addresses or {}
    for ng in ng_repo.for_cluster(session, cluster.uuid):
        if ng.uuid in per_group:
            ng.node_addresses = list(per_group[ng.uuid])
        if not ng.is_default:
            continue
        addresses = facts.master_addresses if ng.role == "master" else facts.node_addresses
        if addresses is not None and ng.uuid not in per_group:
            ng.node_addresses = list(addresses)
        if facts.stack_id is not None:
            ng.stack_id = facts.stack_id
        if facts.coe_version is not None:
            ng.version = facts.coe_version
    if facts.node_certificates is not None:
        cert_repo.replace(session, cluster.uuid, [NODE], facts.node_certificates)
