"""Nodegroup operations: the driver call each one makes, and what its nodegroup row becomes.

The runner treats them like any cluster operation (claim, driver call, record); this module
adds the two nodegroup-specific steps: `call_driver` picks the driver method, and `settle`
gives the group its own status after the runner set the cluster's (a deleted group's row goes,
a failed update gets its previous node labels, taints and limits back).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dockyard.common.context import RequestContext
from dockyard.db.models import Cluster, Operation
from dockyard.db.repositories import nodegroups as ng_repo
from dockyard.domain.status import NODEGROUP_KINDS, NODEGROUP_TRANSITIONS, OperationKind
from dockyard.drivers.base import ClusterDriver, ClusterSpec, DriverResult, Outcome


def handles(kind: OperationKind) -> bool:
    """True for the nodegroup operations (this module's to run)."""
    return kind in NODEGROUP_KINDS


def call_driver(
    driver: ClusterDriver,
    ctx: RequestContext,
    spec: ClusterSpec,
    kind: OperationKind,
    params: dict[str, Any],
    *,
    relabel: bool,
) -> DriverResult:
    """The driver call of nodegroup operation `kind` (`relabel`: an update changed node
    labels or taints)."""
    nodegroup = next((ng for ng in spec.nodegroups if ng.uuid == params["nodegroup"]), None)
    if nodegroup is None:
        return DriverResult(Outcome.FAILED, reason=f"nodegroup {params.get('name')} is gone")
    if kind is OperationKind.NODEGROUP_CREATE:
        return driver.create_nodegroup(ctx, spec, nodegroup)
    if kind is OperationKind.NODEGROUP_UPDATE:
        if not relabel:
            return DriverResult(
                Outcome.COMPLETE, reason=f"nodegroup {nodegroup.name}: node count limits recorded"
            )
        return driver.update_nodegroup(ctx, spec, nodegroup)
    return driver.delete_nodegroup(ctx, spec, nodegroup)


def settle(session: Session, op: Operation, cluster: Cluster, failure: str | None) -> None:
    """The nodegroup's status after `op` ended (`failure`: its reason, None on success)."""
    kind = OperationKind(op.kind)
    if kind not in NODEGROUP_KINDS:
        return
    ng = ng_repo.find(session, op.params["nodegroup"])
    if ng is not None:
        _, done, failed = NODEGROUP_TRANSITIONS[kind]
        if failure is None and kind is OperationKind.NODEGROUP_DELETE:
            ng_repo.remove(session, ng)
        elif failure is None:
            ng.status, ng.status_reason = done.value, None
        else:
            ng.status, ng.status_reason = failed.value, failure
            for name, value in (op.restore or {}).items():
                setattr(ng, name, value)
    cluster.node_count = ng_repo.worker_total(session, cluster.uuid)
