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


#: Statuses a request is still working on; a crash can leave a row in one of them.
TRANSIENT = frozenset({ContainerStatus.CREATING, ContainerStatus.DELETING})

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
