"""Container statuses, and how a Docker engine's container state maps onto them."""

from __future__ import annotations

from enum import StrEnum


class ContainerStatus(StrEnum):
    CREATING = "Creating"
    CREATED = "Created"
    RUNNING = "Running"
    STOPPED = "Stopped"
    ERROR = "Error"
    DELETING = "Deleting"


# Request -> (status while it runs, status when the engine refuses it). On success a create
# takes the status the engine reports and a delete removes the row.
TRANSITIONS: dict[str, tuple[ContainerStatus, ContainerStatus]] = {
    "create": (ContainerStatus.CREATING, ContainerStatus.ERROR),
    "delete": (ContainerStatus.DELETING, ContainerStatus.ERROR),
}

#: Statuses a request is still working on; a crash can leave a row in one of them.
TRANSIENT = frozenset(running for running, _ in TRANSITIONS.values())

# Which statuses allow which request; anything else is a 409 naming the status. A running
# container is deleted only with force; a create in progress is never interrupted.
ALLOWED_FROM: dict[str, frozenset[ContainerStatus]] = {
    "start": frozenset({ContainerStatus.CREATED, ContainerStatus.STOPPED}),
    "stop": frozenset({ContainerStatus.RUNNING}),
    "delete": frozenset(ContainerStatus) - {ContainerStatus.CREATING, ContainerStatus.RUNNING},
    "force_delete": frozenset(ContainerStatus) - {ContainerStatus.CREATING},
}
# Requests also allowed in Error when the engine still has the container (it has an id).
ALLOWED_FROM_ERROR_ON_ENGINE = frozenset({"start"})


def allows(action: str, status: str, *, on_engine: bool = False) -> bool:
    """True when `action` may begin on a container in `status` (`on_engine`: the engine has
    the container, so an Error one may be started again)."""
    if status == ContainerStatus.ERROR and on_engine and action in ALLOWED_FROM_ERROR_ON_ENGINE:
        return True
    return status in ALLOWED_FROM[action]


# Docker's State.Status values (created, running, paused, restarting, removing, exited, dead).
_FROM_ENGINE = {
    "created": ContainerStatus.CREATED,
    "running": ContainerStatus.RUNNING,
    "paused": ContainerStatus.RUNNING,
    "restarting": ContainerStatus.RUNNING,
    "removing": ContainerStatus.DELETING,
    "exited": ContainerStatus.STOPPED,
    "dead": ContainerStatus.ERROR,
}


def from_engine(state: dict[str, object]) -> tuple[ContainerStatus, str]:
    """(status, reason) for a container whose engine reports `state` (inspect's State)."""
    engine_status = str(state.get("Status", "")).lower()
    status = _FROM_ENGINE.get(engine_status, ContainerStatus.ERROR)
    if status is ContainerStatus.STOPPED:
        reason = f"exited with code {state.get('ExitCode')}"
        if state.get("OOMKilled"):
            reason += " (killed: out of memory)"
        return status, reason
    if status is ContainerStatus.ERROR:
        error = state.get("Error") or f"engine reports state {engine_status or 'unknown'}"
        return status, str(error)
    return status, engine_status


# Swarm task states (swarmkit's TaskState) before the container runs.
SWARM_STARTING = frozenset(
    {"new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting"}
)
#: Swarm task states after which the task's container never runs again.
SWARM_FINAL = frozenset({"complete", "shutdown", "failed", "rejected", "orphaned", "remove"})


def from_swarm_task(
    task: dict[str, object] | None, node: str | None
) -> tuple[ContainerStatus, str]:
    """(status, reason) for a one-replica swarm service whose latest task is `task` (the
    engine's task; None while the swarm has not made one), on node `node`. A service scaled
    to 0 has no task at all once swarm removed it: its caller knows what that means."""
    if task is None:
        return ContainerStatus.CREATED, "not scheduled yet"
    status = task.get("Status")
    status = status if isinstance(status, dict) else {}
    state = str(status.get("State", "")).lower()
    err = str(status.get("Err") or "")
    container = status.get("ContainerStatus")
    exit_code = container.get("ExitCode") if isinstance(container, dict) else None
    where = f" on {node}" if node else ""
    if state == "running":
        return ContainerStatus.RUNNING, f"running{where}"
    if state in SWARM_STARTING:
        return ContainerStatus.CREATED, f"{state}{where}: {err or status.get('Message') or ''}"
    exited = f"exited with code {exit_code}" if exit_code is not None else "stopped"
    if state in ("complete", "shutdown", "remove"):
        return ContainerStatus.STOPPED, exited
    if state == "failed" and exit_code is not None and err.startswith("task: non-zero exit"):
        return ContainerStatus.STOPPED, exited
    if state == "orphaned":
        return ContainerStatus.ERROR, f"the node it ran on ({node or 'unknown'}) left the swarm"
    return ContainerStatus.ERROR, err or f"the swarm reports task state {state or 'unknown'}"
