"""The per-cluster event timeline."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dockyard.db.models import ClusterEvent


def record(
    session: Session,
    cluster_uuid: str,
    event: str,
    message: str,
    *,
    status: str | None = None,
    level: str = "INFO",
    operation_uuid: str | None = None,
    host: str | None = None,
    request_id: str | None = None,
    progress: float | None = None,
) -> ClusterEvent:
    row = ClusterEvent(
        cluster_id=cluster_uuid,
        event=event,
        message=message,
        status=status,
        level=level,
        operation_id=operation_uuid,
        host=host,
        request_id=request_id,
        progress=progress,
    )
    session.add(row)
    return row


def for_cluster(
    session: Session, cluster_uuid: str, after_id: int | None, limit: int
) -> list[ClusterEvent]:
    query = select(ClusterEvent).where(ClusterEvent.cluster_id == cluster_uuid)
    if after_id is not None:
        query = query.where(ClusterEvent.id > after_id)
    return list(session.scalars(query.order_by(ClusterEvent.id).limit(limit)))
