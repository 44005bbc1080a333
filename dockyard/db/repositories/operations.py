"""Durable operations: creation, claiming with a lease, renewal and completion.

Claims are conditional UPDATEs (`... WHERE state = PENDING` or `... WHERE lease expired`)
checked by rowcount, so several conductors on PostgreSQL or MariaDB never run one operation
twice and need no lock server. A conductor that writes an outcome first locks the cluster row
and then the operation row (`lock`), the order the API locks them in, and only while it still
holds the lease.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from dockyard.db.models import Cluster, Operation, utcnow
from dockyard.db.repositories import execute_count
from dockyard.domain.status import OperationState

_ACTIVE = (OperationState.PENDING.value, OperationState.RUNNING.value)


def add(session: Session, values: dict[str, Any]) -> Operation:
    row = Operation(**values)
    session.add(row)
    session.flush()
    return row


def get(session: Session, operation_uuid: str) -> Operation | None:
    return session.scalars(select(Operation).where(Operation.uuid == operation_uuid)).first()


def active_for_cluster(session: Session, cluster_uuid: str) -> list[Operation]:
    return list(
        session.scalars(
            select(Operation)
            .where(Operation.cluster_id == cluster_uuid, Operation.state.in_(_ACTIVE))
            .order_by(Operation.id)
        )
    )


def for_cluster(session: Session, cluster_uuid: str) -> list[Operation]:
    return list(
        session.scalars(
            select(Operation).where(Operation.cluster_id == cluster_uuid).order_by(Operation.id)
        )
    )


def claimable(session: Session, now: dt.datetime, limit: int) -> list[tuple[str, int]]:
    """(uuid, attempts) of operations that are due and unowned, or whose lease lapsed."""
    rows = session.execute(
        select(Operation.uuid, Operation.attempts)
        .where(
            or_(
                Operation.state == OperationState.PENDING.value,
                Operation.lease_expires_at < now,
            ),
            Operation.state.in_(_ACTIVE),
            Operation.next_run_at <= now,
        )
        .order_by(Operation.next_run_at, Operation.id)
        .limit(limit)
    )
    return [(r[0], r[1]) for r in rows]


def claim(
    session: Session, operation_uuid: str, attempts: int, owner: str, lease: dt.timedelta
) -> bool:
    """Take the lease on one operation; False when another conductor got it first.

    `attempts` is the value read by `claimable`; every condition `claimable` checked is checked
    again here, atomically, because `release` puts `attempts` back to 0 (so the value alone does
    not prove that nothing happened since the read).
    """
    now = utcnow()
    statement = (
        update(Operation)
        .where(
            Operation.uuid == operation_uuid,
            Operation.attempts == attempts,
            Operation.state.in_(_ACTIVE),
            or_(
                Operation.state == OperationState.PENDING.value,
                Operation.lease_expires_at < now,
            ),
            Operation.next_run_at <= now,
        )
        .values(
            state=OperationState.RUNNING.value,
            lease_owner=owner,
            lease_expires_at=now + lease,
            attempts=attempts + 1,
            started_at=func.coalesce(Operation.started_at, now),
        )
    )
    return execute_count(session, statement) == 1


def lock(
    session: Session, operation_uuid: str, owner: str | None
) -> tuple[Operation, Cluster | None] | None:
    """Lock an active operation and its cluster (cluster row first) to record an outcome.

    With `owner`, only while that conductor still holds the operation's lease. Returns None
    when the operation has ended or belongs to someone else; the cluster is None when gone.
    """
    cluster_uuid = session.scalar(
        select(Operation.cluster_id).where(Operation.uuid == operation_uuid)
    )
    if cluster_uuid is None:
        return None
    cluster = session.scalars(
        select(Cluster)
        .where(Cluster.uuid == cluster_uuid)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    query = select(Operation).where(Operation.uuid == operation_uuid, Operation.state.in_(_ACTIVE))
    if owner is not None:
        query = query.where(
            Operation.lease_owner == owner, Operation.state == OperationState.RUNNING.value
        )
    op = session.scalars(query.with_for_update().execution_options(populate_existing=True)).first()
    return None if op is None else (op, cluster)


def renew(session: Session, operation_uuid: str, owner: str, lease: dt.timedelta) -> bool:
    """Extend the lease; False when the operation is no longer ours (taken over or ended)."""
    statement = (
        update(Operation)
        .where(
            Operation.uuid == operation_uuid,
            Operation.lease_owner == owner,
            Operation.state == OperationState.RUNNING.value,
        )
        .values(lease_expires_at=utcnow() + lease)
    )
    return execute_count(session, statement) == 1


def superseded(session: Session, operation_uuid: str) -> bool:
    """True when the operation's cluster no longer names it as its active operation (a delete
    took over, or the cluster is gone)."""
    active = session.execute(
        select(Cluster.active_operation_id)
        .join(Operation, Operation.cluster_id == Cluster.uuid)
        .where(Operation.uuid == operation_uuid)
    ).first()
    return active is None or active[0] != operation_uuid


def finish(
    session: Session,
    operation_uuid: str,
    owner: str | None,
    state: OperationState,
    error: str | None = None,
) -> bool:
    """End an active operation. With `owner`, only if that conductor still holds it."""
    query = update(Operation).where(Operation.uuid == operation_uuid, Operation.state.in_(_ACTIVE))
    if owner is not None:
        query = query.where(Operation.lease_owner == owner)
    statement = query.values(
        state=state.value,
        error=error,
        finished_at=utcnow(),
        lease_owner=None,
        lease_expires_at=None,
        auth_token=None,  # nothing keeps the requester's token after the operation
    )
    return execute_count(session, statement) == 1


def cancel_pending(session: Session, operation_uuid: str, error: str) -> bool:
    """Cancel an operation no conductor has claimed yet; False when one already has."""
    statement = (
        update(Operation)
        .where(
            Operation.uuid == operation_uuid,
            Operation.state == OperationState.PENDING.value,
        )
        .values(
            state=OperationState.CANCELLED.value,
            error=error,
            finished_at=utcnow(),
            auth_token=None,
        )
    )
    return execute_count(session, statement) == 1


def release(
    session: Session,
    operation_uuid: str,
    owner: str,
    next_run_at: dt.datetime,
    *,
    polling: bool | None = None,
    retries: int | None = None,
) -> bool:
    """Hand a still-running operation back to the queue, to be polled at `next_run_at`
    (with `polling` or `retries`: those control columns set too).

    `attempts` counts claims that ended without a recorded result (conductor crashes), so a
    hand-back that did record progress starts that count again.
    """
    statement = (
        update(Operation)
        .where(
            Operation.uuid == operation_uuid,
            Operation.lease_owner == owner,
            Operation.state == OperationState.RUNNING.value,
        )
        .values(
            state=OperationState.PENDING.value,
            lease_owner=None,
            lease_expires_at=None,
            next_run_at=next_run_at,
            attempts=0,
            **{
                name: value
                for name, value in (("polling", polling), ("retries", retries))
                if value is not None
            },
        )
    )
    return execute_count(session, statement) == 1


def running_leases(session: Session) -> list[tuple[str, str]]:
    """(uuid, lease_owner) of every running operation."""
    rows = session.execute(
        select(Operation.uuid, Operation.lease_owner).where(
            Operation.state == OperationState.RUNNING.value, Operation.lease_owner.is_not(None)
        )
    )
    return [(r[0], r[1]) for r in rows if r[1] is not None]


def expire_lease(session: Session, operation_uuid: str, owner: str) -> bool:
    """End `owner`'s lease now (its process is known to be dead), so the operation can be
    claimed at once instead of when the lease would have lapsed."""
    statement = (
        update(Operation)
        .where(
            Operation.uuid == operation_uuid,
            Operation.lease_owner == owner,
            Operation.state == OperationState.RUNNING.value,
        )
        .values(lease_expires_at=utcnow() - dt.timedelta(seconds=1))
    )
    return execute_count(session, statement) == 1


def past_deadline(session: Session, now: dt.datetime) -> list[str]:
    """Uuids of active operations whose deadline has passed."""
    return list(
        session.scalars(
            select(Operation.uuid)
            .where(
                Operation.state.in_(_ACTIVE),
                Operation.deadline_at.is_not(None),
                Operation.deadline_at < now,
            )
            .order_by(Operation.id)
        )
    )
