"""Limits checked before a cluster grows: nodes per cluster, and the project's cluster and node
quotas. The quota checks lock the project first (`repositories.locks`), so two requests of one
project are counted one after the other on every backend and the limit holds exactly.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dockyard.common import exceptions
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.db.repositories import locks
from dockyard.db.repositories import quotas as quota_repo
from dockyard.services.runtime import Runtime

CLUSTER = "Cluster"
NODE = "Node"
RESOURCES = (CLUSTER, NODE)


def default_limit(rt: Runtime, resource: str) -> int:
    """The limit of a project without a quota row for `resource`."""
    if resource == NODE:
        return int(rt.conf.quotas.max_nodes_per_project)
    return int(rt.conf.quotas.max_clusters_per_project)


def limit_for(rt: Runtime, session: Session, project_id: str, resource: str) -> int:
    row = quota_repo.find(session, project_id, resource)
    return row.hard_limit if row else default_limit(rt, resource)


def check_cluster_size(rt: Runtime, master_count: int, node_count: int) -> None:
    """400 when a cluster would have more nodes than `[quotas] max_nodes_per_cluster`."""
    limit = int(rt.conf.quotas.max_nodes_per_cluster)
    if master_count + node_count > limit:
        raise exceptions.InvalidParameterValue(
            f"A cluster may have at most {limit} nodes ([quotas] max_nodes_per_cluster); "
            f"master_count {master_count} + node_count {node_count} = "
            f"{master_count + node_count}."
        )


def reserve(rt: Runtime, session: Session, project_id: str, clusters: int, nodes: int) -> None:
    """Lock the project and refuse (403, as Magnum's cluster quota) when adding `clusters`
    clusters and `nodes` nodes would pass its quotas. The caller writes in the same
    transaction, so the lock covers the count and the write."""
    locks.lock_project(session, project_id)
    have_clusters, have_nodes = cluster_repo.stats(session, project_id)
    if clusters:
        limit = limit_for(rt, session, project_id, CLUSTER)
        if have_clusters + clusters > limit:
            raise exceptions.QuotaExceeded(
                msg=f"You have reached the maximum clusters per project, {limit}. Please "
                "delete clusters or ask your administrator to raise the quota."
            )
    if nodes > 0:
        limit = limit_for(rt, session, project_id, NODE)
        if have_nodes + nodes > limit:
            raise exceptions.QuotaExceeded(
                msg=f"This would give the project {have_nodes + nodes} nodes; its Node quota "
                f"is {limit}. Please delete or shrink clusters or ask your administrator to "
                "raise the quota."
            )
