"""Container statuses: the transition table (which request each status allows), and how a
one-replica swarm service's latest task maps onto the statuses."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.domain.containers import (
    ALLOWED_FROM,
    TRANSIENT,
    TRANSITIONS,
    ContainerStatus,
    allows,
    from_swarm_task,
)


def _task(state: str, err: str = "", exit_code: int | None = None, **status: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"State": state, "Err": err, **status}
    if exit_code is not None:
        body["ContainerStatus"] = {"ExitCode": exit_code}
    return {"Status": body}


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (None, (ContainerStatus.CREATED, "not scheduled yet")),
        (_task("running"), (ContainerStatus.RUNNING, "running on node-1")),
        (
            _task("pending", "no suitable node (missing plugin on 1 node)"),
            (
                ContainerStatus.CREATED,
                "pending on node-1: no suitable node (missing plugin on 1 node)",
            ),
        ),
        (
            _task("preparing", Message="preparing"),
            (ContainerStatus.CREATED, "preparing on node-1: preparing"),
        ),
        (_task("complete", exit_code=0), (ContainerStatus.STOPPED, "exited with code 0")),
        (_task("shutdown", exit_code=143), (ContainerStatus.STOPPED, "exited with code 143")),
        (_task("shutdown"), (ContainerStatus.STOPPED, "stopped")),
        (
            _task("failed", "task: non-zero exit (3)", exit_code=3),
            (ContainerStatus.STOPPED, "exited with code 3"),
        ),
        (
            _task("failed", 'starting container failed: exec: "nope": not found', exit_code=127),
            (ContainerStatus.ERROR, 'starting container failed: exec: "nope": not found'),
        ),
        (
            _task("rejected", "error while mounting volume: volume data is mounted by host:x"),
            (
                ContainerStatus.ERROR,
                "error while mounting volume: volume data is mounted by host:x",
            ),
        ),
        (_task("orphaned"), (ContainerStatus.ERROR, "the node it ran on (node-1) left the swarm")),
        (_task("weird"), (ContainerStatus.ERROR, "the swarm reports task state weird")),
    ],
)
def test_swarm_tasks_map_to_statuses(
    task: dict[str, Any] | None, expected: tuple[ContainerStatus, str]
) -> None:
    assert from_swarm_task(task, "node-1") == expected


# Which request each container status allows, written out independently of the module:
# (without the engine having the container, with it).
EXPECTED_ALLOWED = {
    "start": {"Created", "Stopped"},
    "stop": {"Running"},
    "delete": {"Created", "Stopped", "Error", "Deleting"},
    "force_delete": {"Created", "Running", "Stopped", "Error", "Deleting"},
}
EXPECTED_ALLOWED_ON_ENGINE = {**EXPECTED_ALLOWED, "start": {"Created", "Stopped", "Error"}}
WIRE_VALUES = {"Creating", "Created", "Running", "Stopped", "Error", "Deleting"}


def test_statuses_are_the_wire_values() -> None:
    assert {s.value for s in ContainerStatus} == WIRE_VALUES


@pytest.mark.parametrize("action", sorted(EXPECTED_ALLOWED))
@pytest.mark.parametrize("status", list(ContainerStatus), ids=str)
def test_allows(action: str, status: ContainerStatus) -> None:
    assert allows(action, status) is (status.value in EXPECTED_ALLOWED[action])
    assert allows(action, str(status.value)) is (status.value in EXPECTED_ALLOWED[action])
    on_engine = status.value in EXPECTED_ALLOWED_ON_ENGINE[action]
    assert allows(action, status, on_engine=True) is on_engine


@pytest.mark.parametrize("action", sorted(EXPECTED_ALLOWED))
def test_allows_unknown_status(action: str) -> None:
    for status in ("", "running", "BOGUS", "Deleted"):
        assert allows(action, status, on_engine=True) is False


def test_nothing_interrupts_a_create() -> None:
    for action in ALLOWED_FROM:
        assert not allows(action, ContainerStatus.CREATING, on_engine=True), action


def test_transitions() -> None:
    assert {k: (a.value, b.value) for k, (a, b) in TRANSITIONS.items()} == {
        "create": ("Creating", "Error"),
        "delete": ("Deleting", "Error"),
    }
    assert {ContainerStatus.CREATING, ContainerStatus.DELETING} == TRANSIENT
    # A refused request leaves a row that can still be deleted.
    for _running, refused in TRANSITIONS.values():
        assert allows("delete", refused)
