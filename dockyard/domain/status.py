"""Cluster statuses (Magnum's wire values) and which operation may start from which status.

The table `ALLOWED_FROM` is the single place that decides whether an operation may begin; the
services consult it before anything is written, so a refusal is a synchronous 409 instead of
Magnum's 202 followed by a failure nobody sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class ClusterStatus(StrEnum):
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_FAILED = "CREATE_FAILED"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_FAILED = "UPDATE_FAILED"
    UPDATE_COMPLETE = "UPDATE_COMPLETE"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_FAILED = "DELETE_FAILED"
    DELETE_COMPLETE = "DELETE_COMPLETE"
    RESUME_COMPLETE = "RESUME_COMPLETE"
    RESUME_FAILED = "RESUME_FAILED"
    RESTORE_COMPLETE = "RESTORE_COMPLETE"
    ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"
    ROLLBACK_COMPLETE = "ROLLBACK_COMPLETE"
    SNAPSHOT_COMPLETE = "SNAPSHOT_COMPLETE"
    CHECK_COMPLETE = "CHECK_COMPLETE"
    ADOPT_COMPLETE = "ADOPT_COMPLETE"


class HealthStatus(StrEnum):
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"


class OperationKind(StrEnum):
    """What a durable operation does; one row in `operations` per request."""

    CREATE = "create"
    UPDATE = "update"
    RESIZE = "resize"
    UPGRADE = "upgrade"
    DELETE = "delete"
    ROTATE_CA = "rotate_ca"
    RENEW_CERTIFICATES = "renew_certificates"
    NODEGROUP_CREATE = "nodegroup_create"
    NODEGROUP_UPDATE = "nodegroup_update"
    NODEGROUP_DELETE = "nodegroup_delete"
    #: Auto-healing: dead or down nodes restarted from their data, replaced when that fails.
    #: Started by the conductor's health check, never by a request.
    HEAL = "heal"


class OperationState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


ACTIVE_OPERATION_STATES = frozenset({OperationState.PENDING, OperationState.RUNNING})

IN_PROGRESS = frozenset(s for s in ClusterStatus if s.endswith("_IN_PROGRESS"))
FAILED = frozenset(s for s in ClusterStatus if s.endswith("_FAILED"))
#: Settled (`settled`) with its last change a success: what health checks, healing and most
#: operations require.
COMPLETE = frozenset(s for s in ClusterStatus if s.endswith("_COMPLETE")) - {
    ClusterStatus.DELETE_COMPLETE
}


def in_progress(status: str | None) -> bool:
    """True while an operation changes what has `status` (a cluster or a nodegroup)."""
    return status in IN_PROGRESS


def settled(status: str | None, operation_states: Iterable[str] = ()) -> bool:
    """The one definition of a settled cluster: no operation runs or waits on it. Its status
    is not `*_IN_PROGRESS` and none of its operations' `operation_states` is active."""
    return not in_progress(status) and not any(
        state in ACTIVE_OPERATION_STATES for state in operation_states
    )


# Operation -> statuses it may start from (Magnum's conductor allow-lists, decided up front).
ALLOWED_FROM: dict[OperationKind, frozenset[ClusterStatus]] = {
    OperationKind.UPDATE: COMPLETE,
    # Resize also retries a failed update, as Magnum allows for the autoscaler.
    OperationKind.RESIZE: COMPLETE | {ClusterStatus.UPDATE_FAILED},
    OperationKind.UPGRADE: COMPLETE,
    OperationKind.ROTATE_CA: COMPLETE,
    OperationKind.RENEW_CERTIFICATES: COMPLETE,
    # Nodegroup changes, like resize, may follow a failed update (a failed nodegroup create
    # leaves the cluster UPDATE_FAILED, and deleting that group is how the user recovers).
    OperationKind.NODEGROUP_CREATE: COMPLETE | {ClusterStatus.UPDATE_FAILED},
    OperationKind.NODEGROUP_UPDATE: COMPLETE | {ClusterStatus.UPDATE_FAILED},
    OperationKind.NODEGROUP_DELETE: COMPLETE | {ClusterStatus.UPDATE_FAILED},
    # Healing starts only on a settled cluster (and only when no operation holds it).
    OperationKind.HEAL: COMPLETE,
    # Delete is always allowed: it is how a user gets rid of a failed or stuck cluster.
    OperationKind.DELETE: frozenset(ClusterStatus) - {ClusterStatus.DELETE_COMPLETE},
}

# Operation -> (status while running, status on success, status on failure).
TRANSITIONS: dict[OperationKind, tuple[ClusterStatus, ClusterStatus, ClusterStatus]] = {
    OperationKind.CREATE: (
        ClusterStatus.CREATE_IN_PROGRESS,
        ClusterStatus.CREATE_COMPLETE,
        ClusterStatus.CREATE_FAILED,
    ),
    OperationKind.UPDATE: (
        ClusterStatus.UPDATE_IN_PROGRESS,
        ClusterStatus.UPDATE_COMPLETE,
        ClusterStatus.UPDATE_FAILED,
    ),
    OperationKind.RESIZE: (
        ClusterStatus.UPDATE_IN_PROGRESS,
        ClusterStatus.UPDATE_COMPLETE,
        ClusterStatus.UPDATE_FAILED,
    ),
    OperationKind.UPGRADE: (
        ClusterStatus.UPDATE_IN_PROGRESS,
        ClusterStatus.UPDATE_COMPLETE,
        ClusterStatus.UPDATE_FAILED,
    ),
    OperationKind.ROTATE_CA: (
        ClusterStatus.UPDATE_IN_PROGRESS,
        ClusterStatus.UPDATE_COMPLETE,
        ClusterStatus.UPDATE_FAILED,
    ),
    OperationKind.RENEW_CERTIFICATES: (
        ClusterStatus.UPDATE_IN_PROGRESS,
        ClusterStatus.UPDATE_COMPLETE,
        ClusterStatus.UPDATE_FAILED,
    ),
    **{
        kind: (
            ClusterStatus.UPDATE_IN_PROGRESS,
            ClusterStatus.UPDATE_COMPLETE,
            ClusterStatus.UPDATE_FAILED,
        )
        for kind in (
            OperationKind.NODEGROUP_CREATE,
            OperationKind.NODEGROUP_UPDATE,
            OperationKind.NODEGROUP_DELETE,
        )
    },
    # A repair is an update, as Magnum's auto-healer's resize is.
    OperationKind.HEAL: (
        ClusterStatus.UPDATE_IN_PROGRESS,
        ClusterStatus.UPDATE_COMPLETE,
        ClusterStatus.UPDATE_FAILED,
    ),
    OperationKind.DELETE: (
        ClusterStatus.DELETE_IN_PROGRESS,
        ClusterStatus.DELETE_COMPLETE,
        ClusterStatus.DELETE_FAILED,
    ),
}


NODEGROUP_KINDS = frozenset(
    {OperationKind.NODEGROUP_CREATE, OperationKind.NODEGROUP_UPDATE, OperationKind.NODEGROUP_DELETE}
)

# Nodegroup operation -> (nodegroup status while running, on success, on failure); the
# cluster itself goes through UPDATE_* (TRANSITIONS), as in Magnum.
NODEGROUP_TRANSITIONS: dict[OperationKind, tuple[ClusterStatus, ClusterStatus, ClusterStatus]] = {
    OperationKind.NODEGROUP_CREATE: (
        ClusterStatus.CREATE_IN_PROGRESS,
        ClusterStatus.CREATE_COMPLETE,
        ClusterStatus.CREATE_FAILED,
    ),
    OperationKind.NODEGROUP_UPDATE: (
        ClusterStatus.UPDATE_IN_PROGRESS,
        ClusterStatus.UPDATE_COMPLETE,
        ClusterStatus.UPDATE_FAILED,
    ),
    OperationKind.NODEGROUP_DELETE: (
        ClusterStatus.DELETE_IN_PROGRESS,
        ClusterStatus.DELETE_COMPLETE,
        ClusterStatus.DELETE_FAILED,
    ),
}


def may_start(kind: OperationKind, status: str) -> bool:
    """True when an operation of `kind` may begin on a cluster in `status`."""
    if kind is OperationKind.CREATE:
        return False
    return status in ALLOWED_FROM[kind]
