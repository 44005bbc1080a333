"""Swarm-mode calls through the docker SDK, on a node's API client."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SWARM_PORT = 2377


class SwarmError(RuntimeError):
    """The swarm did not reach the state asked for."""


@dataclass(frozen=True, slots=True)
class SwarmNode:
    """One entry of `docker node ls`."""

    id: str
    hostname: str
    role: str  # "manager" | "worker"
    state: str  # "ready" | "down" | "unknown" | "disconnected"
    availability: str  # "active" | "pause" | "drain"
    address: str
    leader: bool = False


def local_state(api: Any) -> tuple[str, str]:
    """(LocalNodeState, NodeID) of the node `api` talks to: "inactive", "active", ..."""
    info = api.info()["Swarm"]
    return str(info.get("LocalNodeState", "")), str(info.get("NodeID", ""))


def engine_version(api: Any) -> str:
    return str(api.version()["Version"])


def init(api: Any, address: str) -> str:
    """Start a new swarm on this node; returns its node ID."""
    api.swarm.init(advertise_addr=address, listen_addr=f"{address}:{SWARM_PORT}")
    return local_state(api)[1]


def join_tokens(api: Any) -> dict[str, str]:
    """{"Worker": ..., "Manager": ...} from a manager."""
    api.swarm.reload()
    return dict(api.swarm.attrs["JoinTokens"])


def join(api: Any, address: str, managers: list[str], token: str) -> str:
    """Join this node to the swarm whose managers listen on `managers`; returns its ID."""
    api.swarm.join(
        remote_addrs=[f"{m}:{SWARM_PORT}" for m in managers],
        join_token=token,
        advertise_addr=address,
        listen_addr=f"{address}:{SWARM_PORT}",
    )
    return local_state(api)[1]


def leave(api: Any) -> None:
    api.swarm.leave(force=True)


def nodes(api: Any) -> list[SwarmNode]:
    """Every node the swarm knows (from a manager)."""
    found = []
    for node in api.nodes.list():
        attrs = node.attrs
        status = attrs.get("Status", {})
        found.append(
            SwarmNode(
                id=str(attrs["ID"]),
                hostname=str(attrs.get("Description", {}).get("Hostname", "")),
                role=str(attrs.get("Spec", {}).get("Role", "")),
                state=str(status.get("State", "unknown")),
                availability=str(attrs.get("Spec", {}).get("Availability", "")),
                address=str(status.get("Addr", "")),
                leader=bool(attrs.get("ManagerStatus", {}).get("Leader")),
            )
        )
    return found


def running_tasks(api: Any, node_id: str | None = None) -> dict[str, list[str]]:
    """Names ("service.slot") of tasks whose container runs, by node ID (from a manager).

    A task counts while its container runs, even after the swarm decided to stop it (a
    drained node's tasks keep running until their containers exit).
    """
    services = {s.id: s.name for s in api.services.list()}
    by_node: dict[str, list[str]] = defaultdict(list)
    filters = {"node": node_id} if node_id else None
    for task in api.api.tasks(filters=filters):
        if task.get("Status", {}).get("State") != "running" or not task.get("NodeID"):
            continue
        service_id = str(task.get("ServiceID", ""))
        name = services.get(service_id, service_id[:12])
        slot = task.get("Slot")
        by_node[task["NodeID"]].append(f"{name}.{slot}" if slot else name)
    return {node: sorted(names) for node, names in by_node.items()}


def set_availability(api: Any, node_id: str, availability: str) -> None:
    """Set a node's availability: "drain" (its tasks are rescheduled elsewhere), "active"."""
    node = api.nodes.get(node_id)
    spec = dict(node.attrs["Spec"])
    if spec.get("Availability") == availability:
        return
    spec["Availability"] = availability
    node.update(spec)


def set_labels(api: Any, node_id: str, labels: dict[str, str]) -> bool:
    """Make a node's swarm labels (`node.labels.*`) exactly `labels`; False when they were."""
    node = api.nodes.get(node_id)
    spec = dict(node.attrs["Spec"])
    if dict(spec.get("Labels") or {}) == labels:
        return False
    spec["Labels"] = dict(labels)
    node.update(spec)
    return True


def drain(api: Any, node_id: str) -> None:
    set_availability(api, node_id, "drain")


def remove(api: Any, node_id: str) -> None:
    """Remove a node from the swarm's list (it may still be up; force)."""
    api.api.remove_node(node_id, force=True)


def remove_manager(api: Any, node_id: str, timeout: float) -> None:
    """Demote a manager (the leader takes it out of the raft group, which needs the other
    managers' quorum) and remove it from the swarm's list once it is a worker; retried for
    `timeout` seconds while the swarm has no leader (an election after the lost manager
    led) or the demotion is not done yet."""
    import docker.errors  # here, not at the top: as daemon.client

    deadline = time.monotonic() + timeout
    while True:
        try:
            node = api.nodes.get(node_id)
            spec = dict(node.attrs["Spec"])
            if spec.get("Role") != "worker":
                spec["Role"] = "worker"
                node.update(spec)
            remove(api, node_id)
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as exc:
            if time.monotonic() > deadline:
                raise SwarmError(
                    f"manager {node_id} not removed within {timeout:.0f}s: {exc}"
                ) from exc
            time.sleep(0.5)


def wait_ready(
    api: Any, node_ids: set[str], timeout: float, on_ready: Callable[[str], None] | None = None
) -> None:
    """Wait until every node in `node_ids` is ready, calling `on_ready` with each node id as
    it gets there."""
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    while True:
        states = {n.id: n.state for n in nodes(api)}
        pending = {i for i in node_ids if states.get(i) != "ready"}
        if on_ready is not None:
            for node_id in sorted(node_ids - pending - seen):
                on_ready(node_id)
            seen = node_ids - pending
        if not pending:
            return
        if time.monotonic() > deadline:
            detail = ", ".join(f"{i[:12]}={states.get(i, 'missing')}" for i in sorted(pending))
            raise SwarmError(f"swarm nodes not ready after {timeout:.0f}s: {detail}")
        time.sleep(0.2)


def drain_moved(api: Any, node_id: str, timeout: float) -> list[str]:
    """Drain `node_id`, then wait until each task it ran ("service.slot") runs on another
    node and none runs on it; returns the tasks not moved at `timeout`.

    Draining nodes one at a time this way keeps every service running through a rolling
    restart: a batch drained at once may hold all of a service's tasks, and swarm stops
    them before their replacements run."""
    before = set(running_tasks(api, node_id).get(node_id, []))
    drain(api, node_id)
    deadline = time.monotonic() + timeout
    while True:
        tasks = running_tasks(api)
        elsewhere = {t for node, names in tasks.items() if node != node_id for t in names}
        left = sorted((before - elsewhere) | set(tasks.get(node_id, [])))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def wait_no_tasks(api: Any, node_id: str, timeout: float) -> list[str]:
    """Wait until `node_id` runs no task; returns the tasks still there at `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        left = running_tasks(api, node_id).get(node_id, [])
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)
