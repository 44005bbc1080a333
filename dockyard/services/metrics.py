"""Numbers about the work Dockyard holds, read from the database when metrics are scraped."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from dockyard.db.models import Cluster, Operation, utcnow
from dockyard.db.repositories import cluster_certificates as cert_repo
from dockyard.domain.status import OperationState
from dockyard.services.runtime import Runtime


@dataclass(frozen=True, slots=True)
class WorkSnapshot:
    operations: dict[tuple[str, str], int]  # (kind, state) -> count
    clusters: dict[str, int]  # status -> count
    queue_depth: int  # operations due now and not running
    oldest_due_seconds: float  # how long the oldest due operation has waited (sync lag)
    # cluster uuid -> when its first certificate expires (Unix time)
    certificate_expiry: dict[str, float] = field(default_factory=dict)


def snapshot(rt: Runtime) -> WorkSnapshot:
    now = utcnow()
    with rt.db.read() as session:
        operations = {
            (kind, state): int(count)
            for kind, state, count in session.execute(
                select(Operation.kind, Operation.state, func.count()).group_by(
                    Operation.kind, Operation.state
                )
            )
        }
        clusters = {
            status: int(count)
            for status, count in session.execute(
                select(Cluster.status, func.count()).group_by(Cluster.status)
            )
        }
        due = select(Operation).where(
            Operation.state == OperationState.PENDING.value, Operation.next_run_at <= now
        )
        queue_depth = int(session.scalar(select(func.count()).select_from(due.subquery())) or 0)
        oldest = session.scalar(
            select(func.min(Operation.next_run_at)).where(
                Operation.state == OperationState.PENDING.value, Operation.next_run_at <= now
            )
        )
        expiry = {c: t.timestamp() for c, t in cert_repo.earliest_expiry(session).items()}
    lag = 0.0
    if oldest is not None:
        oldest_aware = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        lag = max(0.0, (now - oldest_aware).total_seconds())
    return WorkSnapshot(operations, clusters, queue_depth, lag, expiry)
