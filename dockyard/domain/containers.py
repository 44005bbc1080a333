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
