"""How a one-replica swarm service's latest task maps onto container statuses."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.domain.containers import ContainerStatus, from_swarm_task


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
