"""Running one claimed operation: call the driver, then record the outcome.

The driver call happens outside any transaction (it may take minutes). Its outcome is written
in one transaction that first re-checks that this conductor still holds the operation, so a
conductor that lost its lease (deadline passed, or another conductor took over) changes
nothing.

Every operation ends: its deadline fails it (`periodics.enforce_deadlines`), a delete takes
it over, and in both cases the conductor stops waiting for the driver call in progress
(`cancelled`, set by the worker when the lease shows either) and records the outcome, so a
driver call that never returns blocks nothing. A transient backend error (`retries`) hands
the operation back to the queue with a backoff, recorded in the timeline, until the deadline.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from dockyard.common.context import RequestContext
from dockyard.conductor import certificates as cluster_certs
from dockyard.conductor import nodegroups as nodegroup_ops
from dockyard.conductor import progress, retries, specs
from dockyard.conductor.deps import ConductorDeps
from dockyard.db.models import Cluster, Operation, utcnow
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.db.repositories import events as event_repo
from dockyard.db.repositories import nodegroups as ng_repo
from dockyard.db.repositories import operations as op_repo
from dockyard.domain.status import (
    TRANSITIONS,
    ClusterStatus,
    OperationKind,
    OperationState,
    in_progress,
)
from dockyard.drivers.base import ClusterDriver, ClusterSpec, DriverResult, Outcome
from dockyard.notifications import clusters as notify

LOG = logging.getLogger(__name__)

# How often a conductor waiting for a driver call looks whether it was cancelled.
_CANCEL_CHECK_SECONDS = 0.2
# Session.info key of the notifications a transaction sends after it commits.
_NOTIFY = "dockyard.notifications"


@dataclasses.dataclass(frozen=True)
class DriverCall:
    """What one run hands the driver, read from the operation row under its lock."""

    kind: OperationKind
    #: The request's own values (as recorded; shown in the timeline).
    params: dict[str, Any]
    #: The driver answered IN_PROGRESS before: poll instead of calling again.
    polling: bool = False
    #: A nodegroup update that changed node labels or taints.
    relabel: bool = False
    #: An upgrade's target template (a snapshot, `specs.template_snapshot`).
    target: dict[str, Any] | None = None


@contextmanager
def write(rt: ConductorDeps) -> Iterator[Session]:
    """A write transaction; the notifications it queued are sent once it has committed."""
    with rt.db.write() as session:
        yield session
        queued: list[tuple[str, str, dict[str, Any], str]] = session.info.pop(_NOTIFY, [])
    for kind, outcome, payload, user_id in queued:
        rt.notifier.cluster(
            notify.action_of(kind), outcome, payload, user_id, str(payload["project_id"])
        )


def queue_notification(session: Session, op: Operation, cluster: Cluster, outcome: str) -> None:
    """Send `op`'s notification with `outcome` once this `write` transaction commits."""
    session.info.setdefault(_NOTIFY, []).append(
        (op.kind, outcome, notify.cluster_payload(cluster), op.user_id)
    )


def run(
    rt: ConductorDeps, op_uuid: str, owner: str, cancelled: threading.Event | None = None
) -> None:
    """Execute (or continue) operation `op_uuid`, which `owner` has just claimed.

    `cancelled` is set when the operation was taken over or ended meanwhile (a delete, the
    deadline): then the driver call in progress is abandoned to finish on its own, and its
    result, whenever it comes, is dropped."""
    with write(rt) as session:
        locked = op_repo.lock(session, op_uuid, owner)
        if locked is None:
            return  # ended (deadline, cancel) or taken over since the claim
        op, cluster = locked
        if cluster is None:
            op_repo.finish(session, op_uuid, owner, OperationState.FAILED, "cluster is gone")
            return
        if cluster.active_operation_id != op.uuid:
            _supersede(session, op, owner)
            return
        if op.attempts > int(rt.conf.conductor.max_attempts):
            reason = (
                f"{op.kind} failed: abandoned by {op.attempts - 1} conductor(s) that stopped "
                "while running it"
            )
            _fail(session, op, cluster, owner, reason)
            return
        if _another_running(session, op):
            # A superseded operation is still winding down; the delete waits for it.
            op_repo.release(session, op_uuid, owner, utcnow() + dt.timedelta(seconds=1))
            return
        if op.attempts > 1:
            _event(session, op, "resumed", f"resumed by {owner} (attempt {op.attempts})", owner)
        elif not op.polling:
            _event(session, op, "started", f"{op.kind} started on {owner}", owner)
        spec = dataclasses.replace(
            specs.build(session, cluster),
            rollback=bool(op.params.get("rollback")),
            progress=progress.reporter(rt, cluster.uuid, op.uuid, op.kind, op.request_id, owner),
        )
        driver_name = cluster.driver
        kind = OperationKind(op.kind)
        call = DriverCall(
            kind=kind,
            params=dict(op.params),
            polling=op.polling,
            relabel=op.relabel,
            # An upgrade's target template as it is now, for this call only.
            target=(
                specs.template_snapshot(session, op.params["cluster_template"])
                if kind is OperationKind.UPGRADE
                else None
            ),
        )
        ctx = RequestContext(
            project_id=op.project_id,
            user_id=op.user_id,
            request_id=op.request_id or "",
            auth_token=op.auth_token,
        )
        already_replaced = op.replaced_certs
    replaced_certs: list[str] = []
    try:
        if kind is OperationKind.CREATE:
            cluster_certs.ensure(rt, spec)
        elif kind is OperationKind.ROTATE_CA:
            replaced_certs = _replace_once(
                rt, op_uuid, already_replaced, lambda: cluster_certs.rotate(rt, spec)
            )
        elif kind is OperationKind.RENEW_CERTIFICATES:
            replaced_certs = _replace_once(
                rt, op_uuid, already_replaced, lambda: cluster_certs.renew_client(rt, spec)
            )
        spec = cluster_certs.attach(rt, spec)
        driver = rt.drivers.get(driver_name)
        call_spec = spec
        result = _until_cancelled(lambda: _call_driver(driver, ctx, call_spec, call), cancelled)
    except Exception as exc:  # a driver failure fails the operation, never the conductor
        if retries.is_transient(exc) and _retry_later(rt, op_uuid, owner, exc):
            return
        LOG.exception("operation %s (%s) failed", op_uuid, kind)
        result = DriverResult(Outcome.FAILED, reason=str(exc) or exc.__class__.__name__)
    if result is None:
        LOG.warning("operation %s (%s) cancelled while its driver call ran", op_uuid, kind)
        result = DriverResult(Outcome.FAILED, reason=f"{kind} cancelled while it ran")
    record(rt, op_uuid, owner, result)
    if result.outcome is Outcome.COMPLETE:
        for ref in replaced_certs:
            rt.certs.delete(ref)
        if kind is OperationKind.DELETE:
            cluster_certs.forget(rt, spec.uuid)


def _until_cancelled(
    call: Callable[[], DriverResult], cancelled: threading.Event | None
) -> DriverResult | None:
    """`call()`'s result, or None once `cancelled` is set first (the call keeps running on
    its own daemon thread; drivers are idempotent, so the next operation may overlap it)."""
    if cancelled is None:
        return call()
    answers: queue.Queue[tuple[DriverResult | None, BaseException | None]] = queue.Queue(1)
    context = contextvars.copy_context()  # log context: request and cluster ids

    def target() -> None:
        try:
            answers.put((context.run(call), None))
        except BaseException as exc:  # handed to the waiting thread
            answers.put((None, exc))

    threading.Thread(target=target, name="dockyard-driver-call", daemon=True).start()
    while True:
        try:
            result, error = answers.get(timeout=_CANCEL_CHECK_SECONDS)
        except queue.Empty:
            if cancelled.is_set():
                return None
            continue
        if error is not None:
            raise error
        return result


def _retry_later(rt: ConductorDeps, op_uuid: str, owner: str, exc: Exception) -> bool:
    """Queue another try of a call that met a transient error, with backoff, and record why in
    the timeline. False when it cannot be retried (deadline too close, taken over)."""
    with write(rt) as session:
        locked = op_repo.lock(session, op_uuid, owner)
        if locked is None:
            return True  # ended or taken over meanwhile: nothing of ours to record
        op, cluster = locked
        if cluster is None or cluster.active_operation_id != op.uuid:
            return False
        retry = op.retries + 1
        conf = rt.conf.conductor
        wait = retries.delay(retry, float(conf.retry_initial_delay), float(conf.retry_max_delay))
        next_run = utcnow() + dt.timedelta(seconds=wait)
        if op.deadline_at is not None and next_run >= op.deadline_at:
            return False
        what = str(exc) or exc.__class__.__name__
        _event(
            session,
            op,
            "retry",
            f"transient backend error ({what}); retry {retry} in {wait:.1f} s",
            owner,
            level="WARNING",
        )
        op_repo.release(session, op_uuid, owner, next_run, retries=retry)
    LOG.warning("operation %s: transient error %s; retry %d in %.1f s", op_uuid, what, retry, wait)
    return True


def _replace_once(
    rt: ConductorDeps, op_uuid: str, already: list[str] | None, replace: Callable[[], list[str]]
) -> list[str]:
    """Run `replace` (new certificates stored, returns the references they replaced) once per
    operation: a retry after a crash reuses what the first run made (`already`)."""
    if already is not None:
        return list(already)
    replaced = replace()
    with rt.db.write() as session:
        op = op_repo.get(session, op_uuid)
        if op is not None:
            op.replaced_certs = replaced
    return replaced


def _another_running(session: Session, op: Operation) -> bool:
    now = utcnow()
    return any(
        other.uuid != op.uuid
        and other.state == OperationState.RUNNING.value
        and other.lease_expires_at is not None
        and other.lease_expires_at > now
        for other in op_repo.active_for_cluster(session, op.cluster_id)
    )


def _call_driver(
    driver: ClusterDriver, ctx: RequestContext, spec: ClusterSpec, call: DriverCall
) -> DriverResult:
    kind, params = call.kind, call.params
    if call.polling:
        return driver.poll(ctx, spec, kind.value)
    if kind is OperationKind.CREATE:
        return driver.create_cluster(ctx, spec)
    if kind is OperationKind.DELETE:
        return driver.delete_cluster(ctx, spec)
    if nodegroup_ops.handles(kind):
        return nodegroup_ops.call_driver(driver, ctx, spec, kind, params, relabel=call.relabel)
    if kind in (OperationKind.UPDATE, OperationKind.RESIZE):
        nodegroup = next(ng for ng in spec.nodegroups if ng.uuid == params["nodegroup"])
        return driver.resize_cluster(
            ctx, spec, nodegroup, int(params["node_count"]), list(params.get("nodes_to_remove", []))
        )
    if kind is OperationKind.UPGRADE:
        assert call.target is not None  # set for every upgrade
        return driver.upgrade_cluster(ctx, spec, call.target, int(params["max_batch_size"]))
    if kind is OperationKind.RENEW_CERTIFICATES:
        issued_before = dt.datetime.fromisoformat(params["issued_before"])
        return driver.renew_certificates(ctx, spec, issued_before)
    if kind is OperationKind.HEAL:
        return driver.heal(ctx, spec, list(params.get("nodes", [])))
    return driver.rotate_ca(ctx, spec)


def record(rt: ConductorDeps, op_uuid: str, owner: str, result: DriverResult) -> None:
    """Write a driver result, if this conductor still owns the operation."""
    with write(rt) as session:
        locked = op_repo.lock(session, op_uuid, owner)
        if locked is None:
            LOG.warning("operation %s is no longer ours; dropping its result", op_uuid)
            return
        op, cluster = locked
        if cluster is None:
            op_repo.finish(session, op_uuid, owner, OperationState.FAILED, "cluster is gone")
            return
        if result.driver_state is not None:
            cluster.driver_state = result.driver_state
        if result.facts is not None:
            specs.apply_facts(session, cluster, result.facts)
        for line in result.events:
            _event(session, op, "driver", line, owner, level="WARNING")
        if cluster.active_operation_id != op.uuid:
            # A delete took over while the driver worked: keep what the driver reported (the
            # delete needs it) but leave the cluster's status to the delete.
            _supersede(session, op, owner)
            return
        if result.outcome is Outcome.IN_PROGRESS:
            next_run = utcnow() + dt.timedelta(seconds=result.poll_after)
            op_repo.release(session, op_uuid, owner, next_run, polling=True)
            return
        if result.outcome is Outcome.COMPLETE:
            _complete(session, op, cluster, owner, result)
        else:
            _fail(session, op, cluster, owner, result.reason or f"{op.kind} failed")


def _supersede(session: Session, op: Operation, owner: str) -> None:
    reason = "superseded by a delete request"
    op_repo.finish(session, op.uuid, owner, OperationState.CANCELLED, reason)
    _event(session, op, "superseded", f"operation {reason}", owner)


def _complete(
    session: Session, op: Operation, cluster: Cluster, owner: str, result: DriverResult
) -> None:
    kind = OperationKind(op.kind)
    done = TRANSITIONS[kind][1]
    reason = "; ".join(r for r in (requested(op), result.reason) if r) or None
    op_repo.finish(session, op.uuid, owner, OperationState.COMPLETE)
    _event(session, op, "complete", reason or f"{op.kind} complete", owner, status=done)
    if kind is OperationKind.DELETE:
        cluster.status = done.value
        queue_notification(session, op, cluster, "success")
        cluster_repo.remove(session, cluster)
        return
    cluster.status = done.value
    cluster.status_reason = reason
    cluster.active_operation_id = None
    if kind is OperationKind.UPGRADE:  # the cluster now runs the new template's settings
        cluster.cluster_template_id = op.params["cluster_template"]
    for ng in ng_repo.for_cluster(session, cluster.uuid):
        if in_progress(ng.status):
            ng.status = done.value
            ng.status_reason = None
    nodegroup_ops.settle(session, op, cluster, None)
    queue_notification(session, op, cluster, "success")


def requested(op: Operation) -> str | None:
    """What the operation's request asked for, in words, from its recorded params (never from
    what the driver found: a call repeated after a crash finds half of the work done)."""
    previous, wanted = op.params.get("previous_node_count"), op.params.get("node_count")
    if previous is not None and wanted is not None:
        return f"workers scaled from {previous} to {wanted}"
    return None


def _fail(
    session: Session, op: Operation, cluster: Cluster, owner: str | None, reason: str
) -> None:
    """Fail the operation and the cluster with `reason`; put back a requested size."""
    kind = OperationKind(op.kind)
    failed = TRANSITIONS[kind][2]
    op_repo.finish(session, op.uuid, owner, OperationState.FAILED, reason)
    cluster.status = failed.value
    cluster.status_reason = reason
    cluster.active_operation_id = None
    previous = op.params.get("previous_node_count")
    for ng in ng_repo.for_cluster(session, cluster.uuid):
        if in_progress(ng.status):
            ng.status = failed.value
            ng.status_reason = reason
        if previous is not None and ng.uuid == op.params.get("nodegroup"):
            ng.node_count = int(previous)
    if previous is not None:
        cluster.node_count = ng_repo.worker_total(session, cluster.uuid)
    nodegroup_ops.settle(session, op, cluster, reason)
    _event(session, op, "failed", reason, owner, status=failed, level="ERROR")
    queue_notification(session, op, cluster, "failure")


def fail_operation(session: Session, op: Operation, cluster: Cluster | None, reason: str) -> None:
    """Fail `op` regardless of who holds it (deadline passed); both rows locked by the caller."""
    if cluster is None or cluster.active_operation_id != op.uuid:
        op_repo.finish(session, op.uuid, None, OperationState.FAILED, reason)
        return
    _fail(session, op, cluster, None, reason)


def _event(
    session: Session,
    op: Operation,
    event: str,
    message: str,
    host: str | None,
    *,
    status: ClusterStatus | None = None,
    level: str = "INFO",
) -> None:
    event_repo.record(
        session,
        op.cluster_id,
        f"{op.kind}.{event}",
        message,
        status=status.value if status else None,
        level=level,
        operation_uuid=op.uuid,
        host=host,
        request_id=op.request_id,
    )
