"""Nodegroup rules: reads, and create, update and delete as durable operations.

Every cluster has its default master and worker groups (made with the cluster). Users add
worker groups to a running cluster, change their limits and node labels, and delete them;
each change is an operation that claims the cluster (services.operations), so a second change
to any group of a busy cluster gets 409 at once and nothing is lost.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Cluster, NodeGroup
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.db.repositories import nodegroups as repo
from dockyard.db.repositories import templates as template_repo
from dockyard.db.repositories.pagination import Page
from dockyard.domain import nodegroups as rules
from dockyard.domain.status import ClusterStatus, OperationKind
from dockyard.drivers.base import ClusterDriver, NodeGroupSpec
from dockyard.notifications import clusters as notify
from dockyard.services import cluster_quotas, operations
from dockyard.services.runtime import Runtime

#: Fields a nodegroup PATCH may change (Magnum: everything else is internal).
PATCHABLE = ("min_node_count", "max_node_count", "node_labels", "node_taints")
#: Of those, the ones the nodes carry (a change makes the driver relabel them).
ON_NODES = ("node_labels", "node_taints")


def _cluster(session: Any, ctx: RequestContext, ident: str) -> Cluster:
    return cluster_repo.get(session, ident, None if ctx.is_admin else ctx.project_id)


def list_nodegroups(
    rt: Runtime, ctx: RequestContext, cluster_ident: str, role: str | None, page: Page
) -> tuple[Cluster, list[NodeGroup]]:
    with rt.db.read() as session:
        cluster = _cluster(session, ctx, cluster_ident)
        rt.policy.authorize(ctx, "nodegroup:get_all", {"project_id": cluster.project_id})
        return cluster, repo.list_page(session, cluster.uuid, role, page)


def get(
    rt: Runtime, ctx: RequestContext, cluster_ident: str, ident: str
) -> tuple[Cluster, NodeGroup]:
    with rt.db.read() as session:
        cluster = _cluster(session, ctx, cluster_ident)
        rt.policy.authorize(ctx, "nodegroup:get", {"project_id": cluster.project_id})
        return cluster, repo.get(session, cluster.uuid, ident)


def _require(driver: ClusterDriver, method: str, what: str) -> None:
    """400 up front when the cluster's driver cannot do `method` (it keeps the base's)."""
    if getattr(type(driver), method) is getattr(ClusterDriver, method):
        raise exceptions.NotSupported(operation=f"{what} with driver {driver.name}")


def _spec(values: dict[str, Any]) -> NodeGroupSpec:
    """What the driver will see of a nodegroup with these column values."""
    return NodeGroupSpec(
        uuid=values["uuid"],
        name=values["name"],
        role=values["role"],
        node_count=values["node_count"],
        flavor_id=values["flavor_id"],
        image_id=values["image_id"],
        labels=dict(values["labels"] or {}),
        is_default=bool(values["is_default"]),
        node_labels=dict(values["node_labels"] or {}),
        node_taints=tuple(values["node_taints"] or ()),
    )


def create(
    rt: Runtime, ctx: RequestContext, cluster_ident: str, body: dict[str, Any]
) -> tuple[Cluster, NodeGroup]:
    """Queue a new (worker) nodegroup; its row exists, CREATE_IN_PROGRESS, when this returns."""
    name = str(body["name"])
    with rt.db.write() as session:
        cluster = _cluster(session, ctx, cluster_ident)
        rt.policy.authorize(ctx, "nodegroup:create", {"project_id": cluster.project_id})
        driver = rt.drivers.get(cluster.driver)
        if body.get("role", "worker") == "master":
            raise exceptions.CreateMasterNodeGroup()
        _require(driver, "create_nodegroup", "Creating nodegroups")
        if not cluster.api_address:
            raise exceptions.ClusterAPIAddressUnavailable()
        if repo.name_taken(session, cluster.uuid, name):
            raise exceptions.NodeGroupAlreadyExists(name=name, cluster_id=cluster.uuid)
        node_count = int(body.get("node_count", 1))
        min_count = int(body.get("min_node_count") or 0)
        max_count = body.get("max_node_count")
        rules.check_counts(name, node_count, min_count, max_count)
        template = template_repo.get(session, cluster.cluster_template_id, None)
        labels = dict(cluster.labels or {})
        given = body.get("labels")
        if given:
            labels = {**labels, **given} if body.get("merge_labels") else dict(given)
        values: dict[str, Any] = {
            "uuid": str(uuidlib.uuid4()),
            "name": name,
            "cluster_id": cluster.uuid,
            "project_id": cluster.project_id,
            "role": body.get("role") or "worker",
            "node_count": node_count,
            "min_node_count": min_count,
            "max_node_count": max_count,
            "flavor_id": body.get("flavor_id") or cluster.flavor_id,
            "image_id": body.get("image_id") or template.image_id,
            "docker_volume_size": body.get("docker_volume_size") or cluster.docker_volume_size,
            "labels": driver.validate_labels(template.coe, labels),
            "node_labels": rules.check_node_labels(name, body.get("node_labels") or {}),
            "node_taints": rules.check_node_taints(name, body.get("node_taints") or []),
            "is_default": False,
            "status": ClusterStatus.CREATE_IN_PROGRESS.value,
        }
        driver.check_nodegroup(template.coe, _spec(values))
        # Nodes per cluster and the project's node quota count every group's nodes.
        groups = repo.for_cluster(session, cluster.uuid)
        masters = sum(g.node_count for g in groups if g.role == "master")
        workers = sum(g.node_count for g in groups if g.role != "master") + node_count
        cluster_quotas.check_cluster_size(rt, masters, workers)
        cluster_quotas.reserve(rt, session, cluster.project_id, 0, node_count)
        operations.start(
            session,
            ctx,
            cluster,
            OperationKind.NODEGROUP_CREATE,
            {"nodegroup": values["uuid"], "name": name, "node_count": node_count},
            deadline_minutes=operations.deadline_minutes(rt),
            host=rt.conf.host,
        )
        ng = repo.add(session, values)
        cluster.node_count = repo.worker_total(session, cluster.uuid)
    _started(rt, ctx, OperationKind.NODEGROUP_CREATE, cluster)
    return cluster, ng


def update(
    rt: Runtime, ctx: RequestContext, cluster_ident: str, ident: str, changes: dict[str, Any]
) -> tuple[Cluster, NodeGroup]:
    """Queue new limits, node labels or taints for a nodegroup (`changes`: PATCHABLE fields)."""
    with rt.db.write() as session:
        cluster = _cluster(session, ctx, cluster_ident)
        rt.policy.authorize(ctx, "nodegroup:update", {"project_id": cluster.project_id})
        ng = repo.get(session, cluster.uuid, ident)
        driver = rt.drivers.get(cluster.driver)
        template = template_repo.get(session, cluster.cluster_template_id, None)
        checked = dict(changes)
        if "node_labels" in checked:
            checked["node_labels"] = rules.check_node_labels(ng.name, checked["node_labels"] or {})
        if "node_taints" in checked:
            checked["node_taints"] = rules.check_node_taints(ng.name, checked["node_taints"] or [])
        min_count = int(checked.get("min_node_count", ng.min_node_count) or 0)
        max_count = checked.get("max_node_count", ng.max_node_count)
        checked["min_node_count"], checked["max_node_count"] = min_count, max_count
        rules.check_counts(ng.name, ng.node_count, min_count, max_count)
        current = {"node_labels": dict(ng.node_labels or {}), "node_taints": ng.node_taints or []}
        relabel = any(k in checked and checked[k] != current[k] for k in ON_NODES)
        if relabel:
            if ng.role == "master" and any(checked.get(k) for k in ON_NODES):
                raise exceptions.NotSupported(operation="Node labels and taints on masters")
            _require(driver, "update_nodegroup", "Relabelling nodegroups")
            driver.check_nodegroup(template.coe, _spec({**_values(ng), **checked}))
        previous = {k: getattr(ng, k) for k in checked}
        operations.start(
            session,
            ctx,
            cluster,
            OperationKind.NODEGROUP_UPDATE,
            {
                "nodegroup": ng.uuid,
                "name": ng.name,
                **changes,
            },
            deadline_minutes=operations.deadline_minutes(rt),
            host=rt.conf.host,
            # Without relabel only min/max changed, which no node needs to know; `restore`
            # is put back when the update fails.
            control=operations.Control(relabel=relabel, restore=previous),
        )
        for key, value in checked.items():
            setattr(ng, key, value)
        ng.status = ClusterStatus.UPDATE_IN_PROGRESS.value
    _started(rt, ctx, OperationKind.NODEGROUP_UPDATE, cluster)
    return cluster, ng


def delete(rt: Runtime, ctx: RequestContext, cluster_ident: str, ident: str) -> None:
    """Queue the removal of a nodegroup's nodes; its row goes when they are gone."""
    with rt.db.write() as session:
        cluster = _cluster(session, ctx, cluster_ident)
        rt.policy.authorize(ctx, "nodegroup:delete", {"project_id": cluster.project_id})
        ng = repo.get(session, cluster.uuid, ident)
        if ng.is_default:
            raise exceptions.DeletingDefaultNGNotSupported()
        _require(rt.drivers.get(cluster.driver), "delete_nodegroup", "Deleting nodegroups")
        operations.start(
            session,
            ctx,
            cluster,
            OperationKind.NODEGROUP_DELETE,
            {"nodegroup": ng.uuid, "name": ng.name, "node_count": ng.node_count},
            deadline_minutes=operations.deadline_minutes(rt),
            host=rt.conf.host,
        )
        ng.status = ClusterStatus.DELETE_IN_PROGRESS.value
    _started(rt, ctx, OperationKind.NODEGROUP_DELETE, cluster)


def _values(ng: NodeGroup) -> dict[str, Any]:
    return {
        k: getattr(ng, k)
        for k in (
            "uuid",
            "name",
            "role",
            "node_count",
            "flavor_id",
            "image_id",
            "labels",
            "is_default",
            "node_labels",
            "node_taints",
        )
    }


def _started(rt: Runtime, ctx: RequestContext, kind: OperationKind, cluster: Cluster) -> None:
    notify.cluster_event(rt.notifier, kind, "pending", cluster, ctx.user_id)
    rt.wake_conductor()
