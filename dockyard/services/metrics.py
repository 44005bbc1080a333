"""Numbers about the work Dockyard holds, read from the database when metrics are scraped."""

from __future__ import annotations

import datetime as dt
import threading
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
    # cluster uuid -> health status (HEALTHY, UNHEALTHY, UNKNOWN)
    health: dict[str, str] = field(default_factory=dict)


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
        health = {
            uuid: status or "UNKNOWN"
            for uuid, status in session.execute(select(Cluster.uuid, Cluster.health_status))
        }
    lag = 0.0
    if oldest is not None:
        oldest_aware = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        lag = max(0.0, (now - oldest_aware).total_seconds())
    return WorkSnapshot(operations, clusters, queue_depth, lag, expiry, health)


# Operation run times span seconds (fake and local drivers) to an hour (Heat).
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)


@dataclass(slots=True)
class DurationHistogram:
    """Cumulative counts per bucket (`DURATION_BUCKETS`, then +Inf), their sum and count."""

    buckets: list[int] = field(default_factory=lambda: [0] * (len(DURATION_BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(DURATION_BUCKETS):
            if seconds <= bound:
                self.buckets[i] += 1
        self.buckets[-1] += 1
        self.total += seconds
        self.count += 1


class OperationDurations:
    """How long finished operations ran (started to finished), by kind and end state, read
    from the operations table, which keeps every operation.

    Conductors finish operations in other processes; reading the table makes every API
    process report the same numbers without the conductors serving metrics. After the first
    scrape only operations finished in the last `SETTLE` are read again (an operation whose
    commit lags its `finished_at` is still seen); ids already counted are skipped.
    """

    SETTLE = dt.timedelta(minutes=5)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._histograms: dict[tuple[str, str], DurationHistogram] = {}
        self._recent: dict[int, dt.datetime] = {}  # counted ids finished within SETTLE
        self._watermark: dt.datetime | None = None

    def read(self, rt: Runtime) -> dict[tuple[str, str], DurationHistogram]:
        with self._lock:
            query = select(
                Operation.id,
                Operation.kind,
                Operation.state,
                Operation.created_at,
                Operation.started_at,
                Operation.finished_at,
            ).where(Operation.finished_at.is_not(None))
            if self._watermark is not None:
                query = query.where(Operation.finished_at > self._watermark - self.SETTLE)
            with rt.db.read() as session:
                rows = list(session.execute(query))
            for op_id, kind, state, created_at, started_at, finished_at in rows:
                if op_id in self._recent or finished_at is None:
                    continue
                began = started_at or created_at
                seconds = max(0.0, (finished_at - began).total_seconds())
                self._histograms.setdefault((kind, state), DurationHistogram()).observe(seconds)
                self._recent[op_id] = finished_at
                if self._watermark is None or finished_at > self._watermark:
                    self._watermark = finished_at
            if self._watermark is not None:
                horizon = self._watermark - self.SETTLE
                self._recent = {i: t for i, t in self._recent.items() if t > horizon}
            return {
                key: DurationHistogram(list(h.buckets), h.total, h.count)
                for key, h in self._histograms.items()
            }
