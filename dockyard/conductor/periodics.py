"""Periodic tasks: heartbeat, operation deadlines, health (and healing) of settled clusters."""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dockyard.common import exceptions, logcontext
from dockyard.common.context import admin_context
from dockyard.conductor import certificates as cluster_certs
from dockyard.conductor import healing, runner, specs
from dockyard.conductor.deps import ConductorDeps
from dockyard.db.models import Cluster, Operation, utcnow
from dockyard.db.repositories import cluster_certificates as cert_repo
from dockyard.db.repositories import events as event_repo
from dockyard.db.repositories import operations as op_repo
from dockyard.db.repositories import services as service_repo
from dockyard.domain.certificates import CA_KINDS
from dockyard.domain.status import COMPLETE, OperationKind, OperationState
from dockyard.drivers.base import ClusterDriver, ClusterInventory, ClusterSpec, Health
from dockyard.notifications.notifier import CLUSTER_TYPE_URI

LOG = logging.getLogger(__name__)


def heartbeat(rt: ConductorDeps, binary: str) -> None:
    """Report this process alive (GET /v1/mservices)."""
    with rt.db.write() as session:
        service_repo.heartbeat(session, rt.conf.host, binary)


def check_cert_store_allows_conductor(rt: ConductorDeps, binary: str) -> None:
    """The `local` certificate store keeps files on one host: refuse a second conductor host."""
    if rt.certs.name != "local":
        return
    down_after = dt.timedelta(seconds=int(rt.conf.service_down_time))
    now = utcnow()
    with rt.db.read() as session:
        others = [
            s.host
            for s in service_repo.all_services(session)
            if s.binary == binary
            and s.host != rt.conf.host
            and service_repo.is_up(s, now, down_after)
        ]
    if others:
        raise exceptions.NotSupported(
            operation=(
                "[certificates] cert_manager_type = local with conductors on several hosts "
                f"(also up: {', '.join(sorted(others))}); use x509keypair"
            )
        )


def enforce_deadlines(rt: ConductorDeps) -> int:
    """Fail operations past their deadline (every operation has one); returns how many.

    Each one in its own transaction, with its rows locked: a conductor recording the same
    operation's result at that moment either wins (nothing to fail) or sees it failed.
    """
    with rt.db.read() as session:
        overdue = op_repo.past_deadline(session, utcnow())
    failed = 0
    for op_uuid in overdue:
        with runner.write(rt) as session:
            locked = op_repo.lock(session, op_uuid, None)
            if locked is None:
                continue
            op, cluster = locked
            if op.deadline_at is None or op.deadline_at >= utcnow():
                continue
            if op.kind == OperationKind.CREATE.value and cluster and cluster.create_timeout:
                minutes, setting = cluster.create_timeout, "create_timeout"
            else:
                minutes = int(rt.conf.conductor.operation_timeout)
                setting = "[conductor] operation_timeout"
            reason = f"{op.kind} timed out: not finished within {minutes} minute(s) ({setting})"
            runner.fail_operation(session, op, cluster, reason)
            failed += 1
    return failed


def sync_health(
    rt: ConductorDeps, tracker: healing.DownTracker | None = None, cluster_uuid: str | None = None
) -> int:
    """Ask each driver for the health of settled clusters (or of `cluster_uuid` alone, if it
    is settled) and record it; with `tracker`, heal as the labels say (healing.py). Returns
    how many clusters were checked."""
    query = select(Cluster).where(
        Cluster.status.in_([s.value for s in COMPLETE]),
        Cluster.active_operation_id.is_(None),
    )
    if cluster_uuid is not None:
        query = query.where(Cluster.uuid == cluster_uuid)
    with rt.db.read() as session:
        clusters = list(session.scalars(query))
        work = [(c.uuid, c.driver, specs.build(session, c)) for c in clusters]
    ctx = admin_context()
    checked = 0
    for uuid, driver_name, spec in work:
        try:
            with logcontext.bound(cluster=uuid):
                driver = rt.drivers.get(driver_name)
                # With the CA and an admin certificate: a Kubernetes API wants a client
                # certificate (without them k8s_local could only say "no CA").
                health = driver.check_health(ctx, cluster_certs.attach(rt, spec))
                checked += 1
                if health is not None:
                    record_health(rt, uuid, health, tracker if driver.can_heal else None)
        except Exception:
            LOG.exception("health check of cluster %s failed", uuid)
    return checked


def record_health(
    rt: ConductorDeps, cluster_uuid: str, health: Health, tracker: healing.DownTracker | None
) -> str | None:
    """Write `health` (status and reason, each whenever it changed) with the certificate
    warning, and decide about healing (with `tracker`). Returns the heal operation started."""
    renew_before = dt.timedelta(days=int(rt.conf.certificates.renew_before_days))
    down_for = tracker.seen(cluster_uuid, set(health.down)) if tracker is not None else {}
    decided = healing.Outcome()
    with runner.write(rt) as session:
        cluster = session.scalars(
            select(Cluster)
            .where(Cluster.uuid == cluster_uuid)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if cluster is None:
            return None
        warning = certificate_warning(session, cluster_uuid, renew_before)
        reason = {**health.reason, **({"certificates": warning} if warning else {})}
        if tracker is not None:
            decided = healing.decide(session, cluster, health, down_for, heal_settings(rt))
            if decided.reason:
                reason[healing.REASON_KEY] = decided.reason
            if decided.operation is not None:
                op = op_repo.get(session, decided.operation)
                if op is not None:
                    runner.queue_notification(session, op, cluster, "pending")
        old_reason = cluster.health_status_reason or {}
        if warning and not old_reason.get("certificates"):
            event_repo.record(
                session,
                cluster_uuid,
                "certificates.expiring",
                warning,
                status=cluster.status,
                level="WARNING",
                host=rt.conf.host,
            )
        if reason != old_reason:
            cluster.health_status_reason = reason
        if cluster.health_status != health.status:
            cluster.health_status = health.status
            event_repo.record(
                session,
                cluster_uuid,
                "health.changed",
                f"health is {health.status}: {health.reason}",
                status=cluster.status,
                level="INFO" if health.status == "HEALTHY" else "WARNING",
                host=rt.conf.host,
            )
    for notice in decided.notices:
        rt.notifier.resource(
            "dockyard.cluster", CLUSTER_TYPE_URI, "node_data", notice.action, notice.outcome,
            notice.data, notice.user_id, notice.project_id,
        )  # fmt: skip
    if decided.operation is not None:
        LOG.warning("cluster %s: healing started (operation %s)", cluster_uuid, decided.operation)
        if tracker is not None:  # the grace period starts again for what is still down after
            tracker.forget(cluster_uuid)
        rt.wake_conductor()
    return decided.operation


def heal_settings(rt: ConductorDeps) -> healing.Settings:
    conf = rt.conf.conductor
    return healing.Settings(
        grace=float(conf.heal_grace_seconds),
        deadline_minutes=int(conf.operation_timeout),
        host=rt.conf.host,
    )


def certificate_warning(
    session: Session, cluster_uuid: str, renew_before: dt.timedelta
) -> str | None:
    """What a cluster's health reason says about certificates expiring within `renew_before`
    (None when none does): node and admin certificates are renewed, a CA is rotated."""
    horizon = utcnow() + renew_before
    due = [r for r in cert_repo.for_cluster(session, cluster_uuid) if r.not_after < horizon]
    if not due:
        return None
    parts = []
    renewable = [r for r in due if r.kind not in CA_KINDS]
    if renewable:
        parts.append(
            f"{len(renewable)} node/admin certificate(s) expire by "
            f"{renewable[-1].not_after:%Y-%m-%d} (first {renewable[0].name}, "
            f"{renewable[0].not_after:%Y-%m-%d}): renew them (POST "
            f"/v1/clusters/{cluster_uuid}/actions/renew_certificates)"
        )
    cas = [r for r in due if r.kind in CA_KINDS]
    if cas:
        parts.append(
            f"CA {cas[0].name} expires {cas[0].not_after:%Y-%m-%d}: rotate it "
            "(openstack coe ca rotate)"
        )
    return "; ".join(parts)


def resume_clusters(rt: ConductorDeps) -> list[str]:
    """Once at conductor start: each driver brings back the nodes of its clusters (after a
    machine restart) and removes leftovers of clusters the database does not know. Returns
    (and logs) what the drivers report."""
    drivers = {
        name: driver
        for name, driver in rt.drivers.drivers.items()
        if type(driver).resume is not ClusterDriver.resume
    }
    if not drivers:
        return []
    listed_at = time.time()
    with rt.db.read() as session:
        clusters = list(session.scalars(select(Cluster)))
        known = frozenset(c.uuid for c in clusters)
        work = [
            (c.driver, specs.build(session, c))
            for c in clusters
            if c.driver in drivers and not c.status.startswith("DELETE_")
        ]
    running: dict[str, list[ClusterSpec]] = {}
    for driver_name, spec in work:
        try:
            running.setdefault(driver_name, []).append(cluster_certs.attach(rt, spec))
        except Exception:
            LOG.exception("cannot load the certificates of cluster %s to resume it", spec.uuid)
    ctx = admin_context()
    reports: list[str] = []
    for name, driver in drivers.items():
        inventory = ClusterInventory(tuple(running.get(name, ())), known, listed_at)
        try:
            lines = driver.resume(ctx, inventory)
        except Exception:
            LOG.exception("driver %s failed to resume its clusters", name)
            continue
        for line in lines:
            LOG.warning("driver %s at conductor start: %s", name, line)
        reports += [f"{name}: {line}" for line in lines]
    return reports


def sync_interval(rt: ConductorDeps) -> float | None:
    """How often `sync_in_progress` runs: the shortest interval a driver asks for (None: no
    loaded driver has a batch status check)."""
    intervals = [d.status_sync_interval for d in rt.drivers.drivers.values()]
    wanted = [float(i) for i in intervals if i]
    return min(wanted) if wanted else None


def sync_in_progress(rt: ConductorDeps) -> int:
    """Drivers with a batch status check (Heat) look at the backend of every cluster whose
    operation waits on it: one call per driver and period in Heat's global-list mode, one per
    cluster otherwise. Operations whose backend settled are made due now, so a conductor
    polls them at once instead of at their fallback time. Returns how many were woken."""
    drivers = {n: d for n, d in rt.drivers.drivers.items() if d.status_sync_interval}
    if not drivers:
        return 0
    with rt.db.read() as session:
        rows = session.execute(
            select(Cluster, Operation)
            .join(Operation, Operation.uuid == Cluster.active_operation_id)
            .where(
                Cluster.driver.in_(list(drivers)),
                Operation.state == OperationState.PENDING.value,
            )
        ).all()
        waiting: dict[str, list[tuple[str, ClusterSpec]]] = {}
        for cluster, op in rows:
            if op.polling:
                waiting.setdefault(cluster.driver, []).append(
                    (op.uuid, specs.build(session, cluster))
                )
    ctx = admin_context()
    due: list[str] = []
    for name, work in waiting.items():
        try:
            settled = drivers[name].sync_in_progress(ctx, [spec for _, spec in work])
        except Exception:
            LOG.exception("status sync of driver %s failed", name)
            continue
        due += [op_uuid for op_uuid, spec in work if spec.uuid in settled]
    if due:
        with rt.db.write() as session:
            session.execute(
                update(Operation)
                .where(
                    Operation.uuid.in_(due),
                    Operation.state == OperationState.PENDING.value,
                )
                .values(next_run_at=utcnow())
            )
        rt.wake_conductor()
    return len(due)
