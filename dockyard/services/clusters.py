"""Cluster rules: create (defaults from the template, labels, quota), update, resize, upgrade,
delete. Each change is queued as a durable operation (services.operations) and answered 202.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Cluster, ClusterEvent, NodeGroup, Operation
from dockyard.db.repositories import clusters as repo
from dockyard.db.repositories import events as event_repo
from dockyard.db.repositories import nodegroups as ng_repo
from dockyard.db.repositories import operations as op_repo
from dockyard.db.repositories import templates as template_repo
from dockyard.db.repositories.pagination import Page
from dockyard.domain import coe as coe_rules
from dockyard.domain.status import ClusterStatus, OperationKind
from dockyard.drivers.base import ClusterDriver
from dockyard.notifications import clusters as notify
from dockyard.services import (
    cluster_quotas,
    cluster_templates,
    names,
    openstack_checks,
    operations,
)
from dockyard.services.runtime import Runtime

# Cluster fields that fall back to the template's value when the request leaves them out.
_FROM_TEMPLATE = {
    "keypair": "keypair_id",
    "docker_volume_size": "docker_volume_size",
    "master_flavor_id": "master_flavor_id",
    "flavor_id": "flavor_id",
    "fixed_network": "fixed_network",
    "fixed_subnet": "fixed_subnet",
    "floating_ip_enabled": "floating_ip_enabled",
    "master_lb_enabled": "master_lb_enabled",
}


@dataclass(frozen=True, slots=True)
class ClusterView:
    """A cluster with its nodegroups, for rendering."""

    cluster: Cluster
    nodegroups: list[NodeGroup]
    template_labels: dict[str, str] | None = None


def _scope(ctx: RequestContext) -> str | None:
    return None if ctx.is_admin else ctx.project_id


def _target(cluster: Cluster) -> dict[str, Any]:
    return {"project_id": cluster.project_id, "user_id": cluster.user_id}


def _merge_labels(
    template_labels: dict[str, str], given: dict[str, Any] | None, merge: bool
) -> dict[str, Any]:
    if not given:
        return dict(template_labels)
    if merge:
        return {**template_labels, **given}
    return dict(given)


def create(rt: Runtime, ctx: RequestContext, body: dict[str, Any]) -> str:
    """Queue a new cluster; the row exists (CREATE_IN_PROGRESS) before this returns."""
    template = cluster_templates.get_for_cluster(rt, ctx, body["cluster_template_id"])
    driver = rt.drivers.get(template.driver or "")
    values: dict[str, Any] = {k: v for k, v in body.items() if v is not None}
    for field, template_field in _FROM_TEMPLATE.items():
        if values.get(field) is None:
            values[field] = getattr(template, template_field)
    # Checked again here: the deployment may have changed since the template was made, and
    # the cluster may ask for more (its own docker_volume_size).
    needs = {
        **cluster_templates.fields(template),
        "docker_volume_size": values["docker_volume_size"],
    }
    rt.drivers.require_usable(driver, needs, f"Cluster template {template.name or template.uuid}")
    master_count = int(values.get("master_count", 1))
    node_count = int(values.get("node_count", 1))
    cluster_quotas.check_cluster_size(rt, master_count, node_count)
    driver.validate_master_count(master_count, bool(values["master_lb_enabled"]))
    coe_rules.check_docker_volume_size(
        template.docker_storage_driver, values.get("docker_volume_size")
    )
    rt.policy.authorize(ctx, "cluster:create")
    labels = _merge_labels(
        dict(template.labels or {}), values.get("labels"), bool(values.get("merge_labels"))
    )
    labels = driver.validate_labels(template.coe, labels)
    openstack_checks.check_cluster(rt, ctx, template.image_id, template.external_network_id, values)
    cluster_uuid = str(uuidlib.uuid4())
    create_timeout = int(values.get("create_timeout", 60))
    row_values = {
        "uuid": cluster_uuid,
        "name": values.get("name") or names.generate("cluster"),
        "project_id": ctx.project_id,
        "user_id": ctx.user_id,
        "cluster_template_id": template.uuid,
        "driver": driver.name,
        "labels": labels,
        "node_count": node_count,
        "master_count": master_count,
        "create_timeout": create_timeout,
        "discovery_url": values.get("discovery_url"),
        "status": ClusterStatus.CREATE_IN_PROGRESS.value,
        **{field: values[field] for field in _FROM_TEMPLATE},
    }
    with rt.db.write() as session:
        # The quota count, the template check and the insert are one step (module docstrings
        # of cluster_quotas and repositories.locks).
        cluster_quotas.reserve(rt, session, ctx.project_id, 1, master_count + node_count)
        template_repo.lock_for_use(session, template.uuid)
        cluster = repo.add(session, row_values)
        _add_default_nodegroups(session, cluster, template.image_id, template.labels, values)
        operations.start(
            session,
            ctx,
            cluster,
            OperationKind.CREATE,
            {"master_count": master_count, "node_count": node_count},
            deadline_minutes=operations.deadline_minutes(rt, create_timeout),
            host=rt.conf.host,
        )
    notify.cluster_event(rt.notifier, OperationKind.CREATE, "pending", cluster, ctx.user_id)
    rt.wake_conductor()
    return cluster_uuid


def _add_default_nodegroups(
    session: Any,
    cluster: Cluster,
    image_id: str,
    labels: dict[str, Any] | None,
    values: dict[str, Any],
) -> None:
    common = {
        "cluster_id": cluster.uuid,
        "project_id": cluster.project_id,
        "docker_volume_size": cluster.docker_volume_size,
        "labels": dict(cluster.labels),
        "image_id": image_id,
        "is_default": True,
        "status": ClusterStatus.CREATE_IN_PROGRESS.value,
    }
    ng_repo.add(
        session,
        {
            **common,
            "uuid": str(uuidlib.uuid4()),
            "name": "default-master",
            "role": "master",
            "node_count": cluster.master_count,
            "min_node_count": 1,
            "flavor_id": cluster.master_flavor_id,
        },
    )
    min_nodes = int(cluster.labels.get("min_node_count") or 0)
    max_label = cluster.labels.get("max_node_count")
    ng_repo.add(
        session,
        {
            **common,
            "uuid": str(uuidlib.uuid4()),
            "name": "default-worker",
            "role": "worker",
            "node_count": cluster.node_count,
            "min_node_count": min_nodes,
            "max_node_count": int(max_label) if max_label else None,
            "flavor_id": cluster.flavor_id,
        },
    )


def get(
    rt: Runtime, ctx: RequestContext, ident: str, *, with_template: bool = False
) -> ClusterView:
    with rt.db.read() as session:
        cluster = repo.get(session, ident, _scope(ctx))
        rt.policy.authorize(ctx, "cluster:get", _target(cluster))
        nodegroups = ng_repo.for_cluster(session, cluster.uuid)
        template_labels = None
        if with_template:
            # A cluster stays readable (and deletable) even if its template is gone.
            template = template_repo.find(session, cluster.cluster_template_id)
            template_labels = dict(template.labels or {}) if template else None
    return ClusterView(cluster, nodegroups, template_labels)


def list_clusters(
    rt: Runtime, ctx: RequestContext, page: Page, *, detail: bool
) -> list[ClusterView]:
    rt.policy.authorize(ctx, "cluster:detail" if detail else "cluster:get_all")
    with rt.db.read() as session:
        rows = repo.list_page(session, _scope(ctx), page)
        if not detail:
            return [ClusterView(c, []) for c in rows]
        grouped = ng_repo.for_clusters(session, [c.uuid for c in rows])
    return [ClusterView(c, grouped[c.uuid]) for c in rows]


def _load_for_change(
    rt: Runtime, session: Any, ctx: RequestContext, ident: str, rule: str
) -> Cluster:
    cluster = repo.get(session, ident, _scope(ctx))
    rt.policy.authorize(ctx, rule, _target(cluster))
    return cluster


def _worker_nodegroup(session: Any, cluster: Cluster, ident: str | None) -> NodeGroup:
    if ident:
        return ng_repo.get(session, cluster.uuid, ident)
    for ng in ng_repo.for_cluster(session, cluster.uuid):
        if ng.is_default and ng.role != "master":
            return ng
    raise exceptions.NodeGroupNotFound(nodegroup="default-worker")


def _check_range(ng: NodeGroup, node_count: int) -> None:
    if ng.role == "master":
        raise exceptions.NotSupported(
            "Resizing the master nodegroup is not supported by this driver."
        )
    if node_count < ng.min_node_count or (
        ng.max_node_count is not None and node_count > ng.max_node_count
    ):
        raise exceptions.InvalidParameterValue(
            f"Resizing {ng.name} outside the allowed range: min_node_count = "
            f"{ng.min_node_count}, max_node_count = {ng.max_node_count}"
        )


def _check_growth(
    rt: Runtime, session: Any, cluster: Cluster, ng: NodeGroup, node_count: int
) -> None:
    """Nodes per cluster and the project's node quota, for a resize of `ng`."""
    added = node_count - ng.node_count
    if added <= 0:
        return
    groups = ng_repo.for_cluster(session, cluster.uuid)
    masters = sum(n.node_count for n in groups if n.role == "master")
    workers = sum(n.node_count for n in groups if n.role != "master") + added
    cluster_quotas.check_cluster_size(rt, masters, workers)
    cluster_quotas.reserve(rt, session, cluster.project_id, 0, added)


def update_health(rt: Runtime, ctx: RequestContext, ident: str, health: dict[str, Any]) -> str:
    """Record a health report sent by PATCH (no operation: nothing to build)."""
    with rt.db.write() as session:
        cluster = _load_for_change(rt, session, ctx, ident, "cluster:update_health_status")
        for key, value in health.items():
            setattr(cluster, key, value)
        event_repo.record(
            session,
            cluster.uuid,
            "health.reported",
            f"health reported as {cluster.health_status}",
            status=cluster.status,
            request_id=ctx.request_id,
        )
        return cluster.uuid


def resize(
    rt: Runtime,
    ctx: RequestContext,
    ident: str,
    node_count: int,
    *,
    nodegroup: str | None = None,
    nodes_to_remove: list[str] | None = None,
    rule: str = "cluster:resize",
    kind: OperationKind = OperationKind.RESIZE,
    rollback: bool = False,
) -> str:
    """Queue a change of a worker nodegroup's size (PATCH node_count and actions/resize)."""
    with rt.db.write() as session:
        cluster = _load_for_change(rt, session, ctx, ident, rule)
        # A driver no longer loaded here cannot resize: 400 now, not a failure later.
        rt.drivers.require_usable(rt.drivers.get(cluster.driver), None, f"Cluster {cluster.name}")
        ng = _worker_nodegroup(session, cluster, nodegroup)
        _check_range(ng, node_count)
        _check_growth(rt, session, cluster, ng, node_count)
        operations.start(
            session,
            ctx,
            cluster,
            kind,
            {
                "nodegroup": ng.uuid,
                "node_count": node_count,
                "previous_node_count": ng.node_count,
                "nodes_to_remove": list(nodes_to_remove or []),
                "rollback": rollback,
            },
            deadline_minutes=operations.deadline_minutes(rt),
            host=rt.conf.host,
        )
        # Desired size shows at once (as in Magnum); a failed resize puts the old one back.
        ng.node_count = node_count
        cluster.node_count = ng_repo.worker_total(session, cluster.uuid)
        ng.status = ClusterStatus.UPDATE_IN_PROGRESS.value
    notify.cluster_event(rt.notifier, kind, "pending", cluster, ctx.user_id)
    rt.wake_conductor()
    return cluster.uuid


def upgrade(
    rt: Runtime,
    ctx: RequestContext,
    ident: str,
    template_ident: str,
    max_batch_size: int,
    nodegroup: str | None,
) -> str:
    """Queue an upgrade to another template; refused up front when the driver cannot."""
    with rt.db.write() as session:
        cluster = _load_for_change(rt, session, ctx, ident, "cluster:upgrade")
        template = template_repo.get(session, template_ident, _scope(ctx))
        template_repo.lock_for_use(session, template.uuid)
        driver = rt.drivers.get(cluster.driver)
        if type(driver).upgrade_cluster is ClusterDriver.upgrade_cluster:
            raise exceptions.NotSupported(operation=f"Upgrading clusters with driver {driver.name}")
        if nodegroup:
            ng = ng_repo.get(session, cluster.uuid, nodegroup)
            if not ng.is_default and template.uuid != cluster.cluster_template_id:
                raise exceptions.Conflict(
                    f"Nodegroup {ng.name} can only be upgraded to the cluster's template."
                )
        operations.start(
            session,
            ctx,
            cluster,
            OperationKind.UPGRADE,
            {"cluster_template": template.uuid, "max_batch_size": max_batch_size},
            deadline_minutes=operations.deadline_minutes(rt),
            host=rt.conf.host,
        )
    notify.cluster_event(rt.notifier, OperationKind.UPGRADE, "pending", cluster, ctx.user_id)
    rt.wake_conductor()
    return cluster.uuid


def delete(rt: Runtime, ctx: RequestContext, ident: str) -> None:
    """Queue deletion; the row goes once the driver reports everything removed."""
    with rt.db.write() as session:
        cluster = _load_for_change(rt, session, ctx, ident, "cluster:delete")
        operations.start(
            session,
            ctx,
            cluster,
            OperationKind.DELETE,
            {},
            deadline_minutes=operations.deadline_minutes(rt),
            host=rt.conf.host,
        )
    notify.cluster_event(rt.notifier, OperationKind.DELETE, "pending", cluster, ctx.user_id)
    rt.wake_conductor()


@dataclass(frozen=True, slots=True)
class Timeline:
    events: list[ClusterEvent]
    operations: list[Operation]


def timeline(
    rt: Runtime, ctx: RequestContext, ident: str, after_id: int | None, limit: int
) -> tuple[Cluster, Timeline]:
    """The cluster's event timeline and operations (Dockyard extension)."""
    with rt.db.read() as session:
        cluster = repo.get(session, ident, _scope(ctx))
        rt.policy.authorize(ctx, "cluster:get_events", _target(cluster))
        events = event_repo.for_cluster(session, cluster.uuid, after_id, limit)
        ops = op_repo.for_cluster(session, cluster.uuid)
    return cluster, Timeline(events, ops)
