"""Starting durable operations: the cluster row change and its operation row in one transaction.

Every asynchronous request (create, update, resize, upgrade, delete, CA rotation) goes through
`start`, which claims the cluster for the new operation with a conditional UPDATE. A second
request while one runs gets 409 at once, never Magnum's 202 followed by a silent failure.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Cluster, utcnow
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.db.repositories import events as event_repo
from dockyard.db.repositories import operations as op_repo
from dockyard.domain.status import TRANSITIONS, OperationKind, OperationState, may_start
from dockyard.services.runtime import Runtime


@dataclass(frozen=True)
class Control:
    """How a nodegroup update runs, beside the request's own `params` (typed columns of the
    operation row, never shown in views or the timeline)."""

    #: Node labels or taints changed: the driver relabels the nodes.
    relabel: bool = False
    #: The changed fields as they were before, put back when the update fails.
    restore: dict[str, Any] | None = None


def start(
    session: Session,
    ctx: RequestContext,
    cluster: Cluster,
    kind: OperationKind,
    params: dict[str, Any],
    *,
    deadline_minutes: int,
    host: str | None = None,
    control: Control | None = None,
) -> str:
    """Claim `cluster` for a new operation of `kind` and queue it; returns the operation uuid.

    Raises 409 when the cluster's status does not allow `kind` or another operation holds it.
    A delete takes over from a queued operation and waits for a running one to stop.
    """
    previous = cluster.active_operation_id
    if previous is not None and kind not in (OperationKind.CREATE, OperationKind.DELETE):
        active = op_repo.get(session, previous)
        raise exceptions.OperationInProgress(
            cluster=cluster.uuid,
            operation=active.kind if active else "unknown",
            status=cluster.status,
        )
    if kind is not OperationKind.CREATE and not may_start(kind, cluster.status):
        raise exceptions.ClusterStatusConflict(
            action=kind.value.replace("_", " "), cluster=cluster.uuid, status=cluster.status
        )
    op_uuid = str(uuidlib.uuid4())
    if kind is OperationKind.DELETE and previous is not None:
        if not cluster_repo.take_over_for_operation(session, cluster.uuid, previous, op_uuid):
            raise exceptions.OperationInProgress(
                cluster=cluster.uuid, operation="another", status=cluster.status
            )
        # A queued operation is simply cancelled (only if still queued: the check and the
        # change are one conditional UPDATE); a running one notices it was superseded.
        op_repo.cancel_pending(session, previous, "superseded by a delete request")
    elif kind is not OperationKind.CREATE and not cluster_repo.claim_for_operation(
        session, cluster.uuid, op_uuid
    ):
        # Another request claimed the cluster between our read and our UPDATE.
        raise exceptions.OperationInProgress(
            cluster=cluster.uuid, operation="another", status=cluster.status
        )
    now = utcnow()
    op_repo.add(
        session,
        {
            "uuid": op_uuid,
            "cluster_id": cluster.uuid,
            "project_id": cluster.project_id,
            "user_id": ctx.user_id,
            "request_id": ctx.request_id,
            "kind": kind.value,
            "state": OperationState.PENDING.value,
            "params": params,
            # The requester's token goes with the operation (dropped when it ends): a driver
            # whose backend must act as the user (Heat makes its own trust) needs it.
            "auth_token": ctx.auth_token,
            "relabel": (control or Control()).relabel,
            "restore": (control or Control()).restore,
            "next_run_at": now,
            # Every operation ends: the conductor fails it once this passes.
            "deadline_at": now + dt.timedelta(minutes=deadline_minutes),
        },
    )
    in_progress = TRANSITIONS[kind][0]
    previous_status = cluster.status
    cluster.status = in_progress.value
    cluster.status_reason = None
    if kind is OperationKind.CREATE:
        cluster.active_operation_id = op_uuid
    event_repo.record(
        session,
        cluster.uuid,
        f"{kind.value}.requested",
        _describe(kind, params, previous_status),
        status=in_progress.value,
        operation_uuid=op_uuid,
        host=host,
        request_id=ctx.request_id,
    )
    session.flush()
    return op_uuid


def deadline_minutes(rt: Runtime, create_timeout: int | None = None) -> int:
    """Minutes an operation may take: a create's create_timeout (when not 0), else
    `[conductor] operation_timeout`."""
    return int(create_timeout or rt.conf.conductor.operation_timeout)


def _describe(kind: OperationKind, params: dict[str, Any], previous_status: str | None) -> str:
    details = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
    text = f"{kind.value} requested"
    if details:
        text += f" ({details})"
    if previous_status and kind is not OperationKind.CREATE:
        text += f"; status was {previous_status}"
    return text
