"""Cluster queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from dockyard.common import exceptions
from dockyard.db.models import Cluster, ClusterCertificate, ClusterTemplate, NodeGroup
from dockyard.db.repositories import execute_count
from dockyard.db.repositories.lookup import by_uuid_or_name
from dockyard.db.repositories.pagination import Page, columns_of, paginate


def _scope(project_id: str | None) -> ColumnElement[bool] | None:
    return None if project_id is None else Cluster.project_id == project_id


def get(session: Session, ident: str, project_id: str | None) -> Cluster:
    row: Cluster = by_uuid_or_name(
        session,
        Cluster,
        ident,
        _scope(project_id),
        exceptions.ClusterNotFound(cluster=ident),
        "clusters",
    )
    return row


def get_by_uuid(session: Session, cluster_uuid: str) -> Cluster | None:
    return session.scalars(select(Cluster).where(Cluster.uuid == cluster_uuid)).first()


def live_of_driver(
    session: Session, driver: str, volume_driver: str | None = None
) -> list[Cluster]:
    """Clusters of cluster driver `driver` not being deleted; only those whose template names
    `volume_driver` when it is given."""
    query = select(Cluster).where(Cluster.driver == driver, Cluster.status.not_like("DELETE_%"))
    if volume_driver is not None:
        query = query.join(
            ClusterTemplate, ClusterTemplate.uuid == Cluster.cluster_template_id
        ).where(ClusterTemplate.volume_driver == volume_driver)
    return list(session.scalars(query))


def list_page(session: Session, project_id: str | None, page: Page) -> list[Any]:
    query = columns_of(Cluster, without=("driver_state",))
    where = _scope(project_id)
    if where is not None:
        query = query.where(where)
    return paginate(session, query, Cluster, page)


def count_for_project(session: Session, project_id: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Cluster).where(Cluster.project_id == project_id)
        )
        or 0
    )


def stats(session: Session, project_id: str | None) -> tuple[int, int]:
    """(clusters, nodes) where nodes counts every nodegroup's nodes, masters included."""
    clusters_q = select(func.count()).select_from(Cluster)
    nodes_q = select(func.coalesce(func.sum(NodeGroup.node_count), 0))
    if project_id is not None:
        clusters_q = clusters_q.where(Cluster.project_id == project_id)
        nodes_q = nodes_q.where(NodeGroup.project_id == project_id)
    return int(session.scalar(clusters_q) or 0), int(session.scalar(nodes_q) or 0)


def add(session: Session, values: dict[str, Any]) -> Cluster:
    row = Cluster(**values)
    session.add(row)
    session.flush()
    return row


def claim_for_operation(session: Session, cluster_uuid: str, operation_uuid: str) -> bool:
    """Make `operation_uuid` the cluster's active operation if it has none (atomic)."""
    statement = (
        update(Cluster)
        .where(Cluster.uuid == cluster_uuid, Cluster.active_operation_id.is_(None))
        .values(active_operation_id=operation_uuid)
    )
    return execute_count(session, statement) == 1


def take_over_for_operation(
    session: Session, cluster_uuid: str, previous: str | None, operation_uuid: str
) -> bool:
    """Replace the active operation `previous` with `operation_uuid` (atomic)."""
    condition = (
        Cluster.active_operation_id.is_(None)
        if previous is None
        else Cluster.active_operation_id == previous
    )
    statement = (
        update(Cluster)
        .where(Cluster.uuid == cluster_uuid, condition)
        .values(active_operation_id=operation_uuid)
    )
    return execute_count(session, statement) == 1


def remove(session: Session, row: Cluster) -> None:
    session.execute(delete(NodeGroup).where(NodeGroup.cluster_id == row.uuid))
    session.execute(delete(ClusterCertificate).where(ClusterCertificate.cluster_id == row.uuid))
    session.delete(row)
    session.flush()
