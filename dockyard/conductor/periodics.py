"""Periodic tasks: heartbeat, operation deadlines, health of settled clusters."""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import select

from dockyard.common import exceptions, logcontext
from dockyard.common.context import admin_context
from dockyard.conductor import certificates as cluster_certs
from dockyard.conductor import runner, specs
from dockyard.db.models import Cluster, utcnow
from dockyard.db.repositories import events as event_repo
from dockyard.db.repositories import operations as op_repo
from dockyard.db.repositories import services as service_repo
from dockyard.domain.status import COMPLETE, OperationKind
from dockyard.drivers.base import ClusterDriver, ClusterInventory, ClusterSpec
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)


def heartbeat(rt: Runtime, binary: str) -> None:
    """Report this process alive (GET /v1/mservices)."""
    with rt.db.write() as session:
        service_repo.heartbeat(session, rt.conf.host, binary)


def check_cert_store_allows_conductor(rt: Runtime, binary: str) -> None:
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


def enforce_deadlines(rt: Runtime) -> int:
    """Fail operations past their deadline (create_timeout); returns how many.

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
            if cluster is not None and op.kind == OperationKind.CREATE.value:
                minutes = cluster.create_timeout
            else:
                minutes = round((op.deadline_at - op.created_at).total_seconds() / 60)
            reason = (
                f"{op.kind} timed out: not finished within {minutes} minute(s) (create_timeout)"
            )
            runner.fail_operation(session, op, cluster, reason)
            failed += 1
    return failed


def sync_health(rt: Runtime) -> int:
    """Ask each driver for the health of settled clusters; record changes. Returns checks."""
    with rt.db.read() as session:
        clusters = list(
            session.scalars(
                select(Cluster).where(
                    Cluster.status.in_([s.value for s in COMPLETE]),
                    Cluster.active_operation_id.is_(None),
                )
            )
        )
        work = [(c.uuid, c.driver, specs.build(session, c)) for c in clusters]
    ctx = admin_context()
    checked = 0
    for cluster_uuid, driver_name, spec in work:
        try:
            with logcontext.bound(cluster=cluster_uuid):
                health = rt.drivers.get(driver_name).check_health(ctx, spec)
        except Exception:
            LOG.exception("health check of cluster %s failed", cluster_uuid)
            continue
        checked += 1
        if health is None:
            continue
        with rt.db.write() as session:
            cluster = session.scalars(select(Cluster).where(Cluster.uuid == cluster_uuid)).first()
            if cluster is None or cluster.health_status == health.status:
                continue
            cluster.health_status = health.status
            cluster.health_status_reason = health.reason
            event_repo.record(
                session,
                cluster_uuid,
                "health.changed",
                f"health is {health.status}: {health.reason}",
                status=cluster.status,
                level="INFO" if health.status == "HEALTHY" else "WARNING",
                host=rt.conf.host,
            )
    return checked


def resume_clusters(rt: Runtime) -> list[str]:
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
