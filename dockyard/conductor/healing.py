"""Auto-healing: what the health check decides about nodes that are down, and the `heal`
operation it starts.

A driver that can heal (`ClusterDriver.can_heal`) reports in `Health.down` the nodes whose
engine or supervisor died or that the COE reports down. This module, called by the health
check with the cluster row locked:

- records `node.down` when a node goes down and `node.up` when it comes back (timeline and
  `dockyard.cluster.node.down|up` notifications);
- heals per the cluster's labels: `auto_healing_enabled` (default true) and
  `auto_healing_max_unhealthy` (a count or a percentage of the nodes, Cluster API's
  maxUnhealthy; more nodes down than that and healing waits for a person);
- once a node has been down for `[conductor] heal_grace_seconds` (as seen by this conductor),
  starts a `heal` operation, a durable operation like any other: it claims the cluster with
  the same conditional UPDATE a request uses, so it never starts while another operation holds
  the cluster, and a request that comes while it runs gets the usual 409;
- says in the health reason (key `healing`) what it is doing or why it does not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
import uuid as uuidlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from dockyard.db.models import Cluster, utcnow
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.db.repositories import events as event_repo
from dockyard.db.repositories import operations as op_repo
from dockyard.domain.status import TRANSITIONS, OperationKind, OperationState, may_start
from dockyard.drivers.base import Health

ENABLED_LABEL = "auto_healing_enabled"
MAX_UNHEALTHY_LABEL = "auto_healing_max_unhealthy"
DEFAULT_MAX_UNHEALTHY = "100%"
#: The key of the health reason that says what healing does.
REASON_KEY = "healing"
#: The heal operation's params: the hostnames to bring back, and why each was down.
NODES = "nodes"
DOWN = "down"
#: Who a heal operation acts as (operations record a user; no person asked for this one).
HEALER = "dockyard-auto-healer"


class DownTracker:
    """When this conductor first saw each node down (monotonic seconds); thread-safe.

    Kept in memory: a restarted conductor starts the grace period again, which only delays a
    heal (and the conductor's start restarts dead local nodes anyway).
    """

    def __init__(self) -> None:
        self._since: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def seen(self, cluster_uuid: str, down: set[str]) -> dict[str, float]:
        """Record that `down` are the cluster's down nodes now; seconds each has been down."""
        now = time.monotonic()
        with self._lock:
            for key in [k for k in self._since if k[0] == cluster_uuid and k[1] not in down]:
                del self._since[key]
            return {name: now - self._since.setdefault((cluster_uuid, name), now) for name in down}

    def forget(self, cluster_uuid: str) -> None:
        """Start over for `cluster_uuid` (a heal was just started)."""
        with self._lock:
            for key in [k for k in self._since if k[0] == cluster_uuid]:
                del self._since[key]


@dataclasses.dataclass(frozen=True, slots=True)
class Notice:
    """A notification to send once the transaction that decided it has committed."""

    action: str  # node.down | node.up
    outcome: str
    data: dict[str, Any]
    user_id: str
    project_id: str


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """The conductor's healing settings."""

    grace: float  # [conductor] heal_grace_seconds
    deadline_minutes: int  # [conductor] operation_timeout
    host: str  # for the timeline


@dataclasses.dataclass(slots=True)
class Outcome:
    """What the health check decided about healing one cluster."""

    reason: str | None = None  # the health reason's `healing` entry
    operation: str | None = None  # a heal operation started now
    notices: list[Notice] = dataclasses.field(default_factory=list)


def max_unhealthy(labels: Mapping[str, str], total: int) -> int:
    """How many of `total` nodes may be down for healing to act (percentages round down,
    as Cluster API's maxUnhealthy)."""
    value = str(labels.get(MAX_UNHEALTHY_LABEL) or DEFAULT_MAX_UNHEALTHY)
    if value.endswith("%"):
        return total * int(value[:-1]) // 100
    return int(value)


def enabled(labels: Mapping[str, str]) -> bool:
    return str(labels.get(ENABLED_LABEL, "true")).lower() != "false"


def decide(
    session: Session,
    cluster: Cluster,
    health: Health,
    down_for: Mapping[str, float],
    settings: Settings,
) -> Outcome:
    """Record node events and start a heal when one is due; `cluster` is locked by the
    caller, and `down_for` says how long each down node has been down."""
    outcome = Outcome()
    grace = settings.grace
    _node_events(session, cluster, health, settings.host, outcome)
    down = dict(health.down)
    if not down:
        return outcome
    names = ", ".join(sorted(down))
    labels = dict(cluster.labels or {})
    if not enabled(labels):
        outcome.reason = f"off ({ENABLED_LABEL}=false): {names} stay(s) down"
        return outcome
    total = len(health.nodes) or len(down)
    limit = max_unhealthy(labels, total)
    if len(down) > limit:
        outcome.reason = (
            f"waiting for a person: {len(down)} of {total} nodes are down, more than "
            f"{MAX_UNHEALTHY_LABEL}={labels.get(MAX_UNHEALTHY_LABEL, DEFAULT_MAX_UNHEALTHY)} "
            f"allows ({limit})"
        )
        return outcome
    due = sorted(n for n in down if down_for.get(n, 0.0) >= grace)
    if not due:
        outcome.reason = f"{names} down: healed once down for {grace:g} s"
        return outcome
    if cluster.active_operation_id is not None:
        outcome.reason = f"{names} down: healed once the running operation ends"
        return outcome
    if not may_start(OperationKind.HEAL, cluster.status):
        outcome.reason = f"{names} down: not healed while the cluster is {cluster.status}"
        return outcome
    op_uuid = start(session, cluster, {n: down[n] for n in due}, settings)
    if op_uuid is None:
        outcome.reason = f"{names} down: healed once the running operation ends"
        return outcome
    outcome.operation = op_uuid
    outcome.reason = f"healing {', '.join(due)} (operation {op_uuid})"
    return outcome


def start(
    session: Session, cluster: Cluster, down: Mapping[str, str], settings: Settings
) -> str | None:
    """Queue a heal of `down` (hostname -> why) on `cluster`; None when another operation
    claimed the cluster first. The claim is the conditional UPDATE every request uses."""
    op_uuid = str(uuidlib.uuid4())
    if not cluster_repo.claim_for_operation(session, cluster.uuid, op_uuid):
        return None
    now = utcnow()
    request_id = f"req-{uuidlib.uuid4()}"
    op_repo.add(
        session,
        {
            "uuid": op_uuid,
            "cluster_id": cluster.uuid,
            "project_id": cluster.project_id,
            "user_id": HEALER,
            "request_id": request_id,
            "kind": OperationKind.HEAL.value,
            "state": OperationState.PENDING.value,
            "params": {NODES: sorted(down), DOWN: dict(down)},
            "next_run_at": now,
            "deadline_at": now + dt.timedelta(minutes=settings.deadline_minutes),
        },
    )
    previous = cluster.status
    cluster.active_operation_id = op_uuid
    cluster.status = TRANSITIONS[OperationKind.HEAL][0].value
    cluster.status_reason = None
    why = "; ".join(f"{name}: {reason}" for name, reason in sorted(down.items()))
    event_repo.record(
        session,
        cluster.uuid,
        "heal.requested",
        f"heal requested by the health check (down for {settings.grace:g} s or more: "
        f"{why}); status was {previous}",
        status=cluster.status,
        operation_uuid=op_uuid,
        host=settings.host,
        request_id=request_id,
    )
    session.flush()
    return op_uuid


def _node_events(
    session: Session, cluster: Cluster, health: Health, host: str, outcome: Outcome
) -> None:
    """`node.down` for each node newly down, `node.up` for each back (against the reason
    recorded last time)."""
    old = dict(cluster.health_status_reason or {})
    was_down = {n for n in health.nodes if old.get(n, "Ready") != "Ready"}
    for name in sorted(set(health.down) - was_down):
        _node_event(session, cluster, host, outcome, name, "down", health.down[name])
    for name in sorted(was_down - set(health.down)):
        if health.reason.get(name) == "Ready":
            _node_event(session, cluster, host, outcome, name, "up", "Ready again")


def _node_event(
    session: Session,
    cluster: Cluster,
    host: str,
    outcome: Outcome,
    name: str,
    what: str,
    why: str,
) -> None:
    event_repo.record(
        session,
        cluster.uuid,
        f"node.{what}",
        f"node {name} is {what}: {why}",
        status=cluster.status,
        level="WARNING" if what == "down" else "INFO",
        host=host,
    )
    outcome.notices.append(
        Notice(
            f"node.{what}",
            "failure" if what == "down" else "success",
            {
                "uuid": cluster.uuid,  # the CADF target: the cluster
                "cluster_name": cluster.name,
                "node": name,
                "reason": why,
            },
            cluster.user_id,
            cluster.project_id,
        )
    )
