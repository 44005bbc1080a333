"""Why a heal refuses to replace masters that did not come back (swarm_local/healing_loop.py)."""

from __future__ import annotations

import pytest

from dockyard.drivers.swarm_local.healing_loop import refusal


@pytest.mark.parametrize(
    ("masters", "lost", "says"),
    [
        (1, ["c-master-0"], "it is the cluster's only manager: the raft data it held"),
        (2, ["c-master-1"], "only 1 of 2 managers run, no raft quorum"),
        (3, ["c-master-0", "c-master-2"], "only 1 of 3 managers run, no raft quorum"),
        (3, ["c-master-2"], "2 of 3 managers keep the raft quorum, but replacing a manager"),
    ],
)
def test_the_reason_names_the_masters_and_why(masters: int, lost: list[str], says: str) -> None:
    reason = refusal(masters, lost, "manager", "raft")
    assert reason.startswith(f"manager(s) {', '.join(lost)} did not come back and are not "), reason
    assert says in reason, reason


def test_kubernetes_words() -> None:
    reason = refusal(3, ["k-master-1"], "master", "etcd")
    assert reason == (
        "master(s) k-master-1 did not come back and are not replaced: 2 of 3 masters keep the "
        "etcd quorum, but replacing a master (a new etcd member added, the lost one removed) "
        "is not built"
    )
