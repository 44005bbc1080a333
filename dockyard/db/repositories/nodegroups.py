"""Nodegroup queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dockyard.common import exceptions
from dockyard.db.models import NodeGroup
from dockyard.db.repositories.lookup import by_uuid_or_name
from dockyard.db.repositories.pagination import Page, columns_of, paginate


def for_cluster(session: Session, cluster_uuid: str) -> list[NodeGroup]:
    return list(
        session.scalars(
            select(NodeGroup).where(NodeGroup.cluster_id == cluster_uuid).order_by(NodeGroup.id)
        )
    )


def worker_total(session: Session, cluster_uuid: str) -> int:
    """The cluster's node_count as the API shows it: nodes of every non-master nodegroup."""
    return sum(n.node_count for n in for_cluster(session, cluster_uuid) if n.role != "master")


def for_clusters(session: Session, cluster_uuids: list[str]) -> dict[str, list[NodeGroup]]:
    """Nodegroups of many clusters in one query, keyed by cluster uuid."""
    grouped: dict[str, list[NodeGroup]] = {u: [] for u in cluster_uuids}
    if cluster_uuids:
        rows = session.scalars(
            select(NodeGroup).where(NodeGroup.cluster_id.in_(cluster_uuids)).order_by(NodeGroup.id)
        )
        for row in rows:
            grouped[row.cluster_id].append(row)
    return grouped


def get(session: Session, cluster_uuid: str, ident: str) -> NodeGroup:
    row: NodeGroup = by_uuid_or_name(
        session,
        NodeGroup,
        ident,
        NodeGroup.cluster_id == cluster_uuid,
        exceptions.NodeGroupNotFound(nodegroup=ident),
        "nodegroups",
    )
    return row


def find(session: Session, uuid: str) -> NodeGroup | None:
    """The nodegroup with `uuid`, or None."""
    return session.scalars(select(NodeGroup).where(NodeGroup.uuid == uuid)).first()


def name_taken(session: Session, cluster_uuid: str, name: str) -> bool:
    found = session.scalars(
        select(NodeGroup.id).where(NodeGroup.cluster_id == cluster_uuid, NodeGroup.name == name)
    ).first()
    return found is not None


def remove(session: Session, row: NodeGroup) -> None:
    session.delete(row)
    session.flush()


def list_page(session: Session, cluster_uuid: str, role: str | None, page: Page) -> list[Any]:
    query = columns_of(NodeGroup).where(NodeGroup.cluster_id == cluster_uuid)
    if role is not None:
        query = query.where(NodeGroup.role == role)
    return paginate(session, query, NodeGroup, page)


def add(session: Session, values: dict[str, Any]) -> NodeGroup:
    row = NodeGroup(**values)
    session.add(row)
    session.flush()
    return row
