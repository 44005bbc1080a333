"""The per-cluster event timeline."""

from __future__ import annotations

import logging

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from dockyard.db.models import ClusterEvent

# Each timeline entry is also one log line, written once its transaction commits (a rolled-back
# entry never happened): state changes at INFO, a driver's progress steps at DEBUG, warnings
# and errors at their level. An ordinary create is then a handful of lines.
TIMELINE_LOG = logging.getLogger("dockyard.timeline")
_PENDING = "dockyard.timeline.pending"
_LEVELS = {"WARNING": logging.WARNING, "ERROR": logging.ERROR}


@sa_event.listens_for(Session, "after_commit")
def _log_committed(session: Session) -> None:
    for level, args in session.info.pop(_PENDING, ()):
        TIMELINE_LOG.log(level, "cluster %s %s: %s%s", *args)


@sa_event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


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
    level_no = _LEVELS.get(level.upper(), logging.INFO)
    if level_no == logging.INFO and event.endswith(".progress"):
        level_no = logging.DEBUG
    session.info.setdefault(_PENDING, []).append(
        (level_no, (cluster_uuid, event, message, f" -> {status}" if status else ""))
    )
    return row


def for_cluster(
    session: Session, cluster_uuid: str, after_id: int | None, limit: int
) -> list[ClusterEvent]:
    query = select(ClusterEvent).where(ClusterEvent.cluster_id == cluster_uuid)
    if after_id is not None:
        query = query.where(ClusterEvent.id > after_id)
    return list(session.scalars(query.order_by(ClusterEvent.id).limit(limit)))
