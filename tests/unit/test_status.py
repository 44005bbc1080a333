"""dockyard.domain.status: every operation kind against every cluster status, and the
transition table. The expected tables are written out here, independently of the module."""

from __future__ import annotations

import pytest

from dockyard.domain import status as st
from dockyard.domain.status import ClusterStatus, OperationKind, OperationState, may_start

# Magnum's wire values, in full: a status added or renamed must show up here.
WIRE_VALUES = {
    "CREATE_IN_PROGRESS",
    "CREATE_FAILED",
    "CREATE_COMPLETE",
    "UPDATE_IN_PROGRESS",
    "UPDATE_FAILED",
    "UPDATE_COMPLETE",
    "DELETE_IN_PROGRESS",
    "DELETE_FAILED",
    "DELETE_COMPLETE",
    "RESUME_COMPLETE",
    "RESUME_FAILED",
    "RESTORE_COMPLETE",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE",
    "SNAPSHOT_COMPLETE",
    "CHECK_COMPLETE",
    "ADOPT_COMPLETE",
}

# Settled, healthy statuses: Magnum's conductor allow-list for update/upgrade.
SETTLED = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "RESUME_COMPLETE",
    "RESTORE_COMPLETE",
    "ROLLBACK_COMPLETE",
    "SNAPSHOT_COMPLETE",
    "CHECK_COMPLETE",
    "ADOPT_COMPLETE",
}

EXPECTED_ALLOWED: dict[str, set[str]] = {
    "create": set(),  # a create never starts on an existing cluster
    "update": SETTLED,
    "resize": SETTLED | {"UPDATE_FAILED"},
    "upgrade": SETTLED,
    "rotate_ca": SETTLED,
    "renew_certificates": SETTLED,
    "nodegroup_create": SETTLED | {"UPDATE_FAILED"},
    "nodegroup_update": SETTLED | {"UPDATE_FAILED"},
    "nodegroup_delete": SETTLED | {"UPDATE_FAILED"},
    "heal": SETTLED,  # started by the health check, only on a settled cluster
    "delete": WIRE_VALUES - {"DELETE_COMPLETE"},
}

EXPECTED_TRANSITIONS = {
    "create": ("CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED"),
    "update": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "resize": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "upgrade": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "rotate_ca": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "renew_certificates": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "nodegroup_create": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "nodegroup_update": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "nodegroup_delete": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "heal": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "delete": ("DELETE_IN_PROGRESS", "DELETE_COMPLETE", "DELETE_FAILED"),
}

# The nodegroup's own status through its operation (the cluster's is in TRANSITIONS).
EXPECTED_NODEGROUP_TRANSITIONS = {
    "nodegroup_create": ("CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED"),
    "nodegroup_update": ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"),
    "nodegroup_delete": ("DELETE_IN_PROGRESS", "DELETE_COMPLETE", "DELETE_FAILED"),
}


def test_wire_values() -> None:
    assert {s.value for s in ClusterStatus} == WIRE_VALUES
    assert all(s.name == s.value for s in ClusterStatus)
    assert {k.value for k in OperationKind} == set(EXPECTED_ALLOWED)
    assert {s.value for s in OperationState} == {
        "PENDING",
        "RUNNING",
        "COMPLETE",
        "FAILED",
        "CANCELLED",
    }
    assert {OperationState.PENDING, OperationState.RUNNING} == st.ACTIVE_OPERATION_STATES


def test_status_families() -> None:
    assert {
        "CREATE_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        "DELETE_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
    } == st.IN_PROGRESS
    assert {
        "CREATE_FAILED",
        "UPDATE_FAILED",
        "DELETE_FAILED",
        "RESUME_FAILED",
        "ROLLBACK_FAILED",
    } == st.FAILED
    assert st.COMPLETE == SETTLED
    assert not (st.IN_PROGRESS & st.FAILED or st.FAILED & st.COMPLETE or st.IN_PROGRESS & SETTLED)
    assert st.IN_PROGRESS | st.FAILED | st.COMPLETE | {"DELETE_COMPLETE"} == WIRE_VALUES


@pytest.mark.parametrize("kind", list(OperationKind), ids=str)
@pytest.mark.parametrize("status", list(ClusterStatus), ids=str)
def test_may_start(kind: OperationKind, status: ClusterStatus) -> None:
    expected = status.value in EXPECTED_ALLOWED[kind.value]
    # Both the enum member and the plain string the database returns.
    assert may_start(kind, status) is expected
    assert may_start(kind, str(status.value)) is expected


@pytest.mark.parametrize("kind", list(OperationKind), ids=str)
def test_may_start_unknown_status(kind: OperationKind) -> None:
    for status in ("", "create_complete", "BOGUS", "DELETE_COMPLETE"):
        assert may_start(kind, status) is False


def test_nothing_but_delete_interrupts_a_running_operation() -> None:
    for kind in OperationKind:
        for running in st.IN_PROGRESS:
            assert may_start(kind, running) is (kind is OperationKind.DELETE)


def test_allowed_from_covers_every_kind_but_create() -> None:
    assert set(st.ALLOWED_FROM) == set(OperationKind) - {OperationKind.CREATE}
    for kind, allowed in st.ALLOWED_FROM.items():
        assert all(isinstance(s, ClusterStatus) for s in allowed), kind


def test_transitions_shapes() -> None:
    assert set(st.TRANSITIONS) == set(OperationKind)
    for kind, (running, done, failed) in st.TRANSITIONS.items():
        assert (running.value, done.value, failed.value) == EXPECTED_TRANSITIONS[kind.value]
        assert running in st.IN_PROGRESS
        assert failed in st.FAILED
        assert running.split("_")[0] == done.split("_")[0] == failed.split("_")[0]
        if kind is OperationKind.DELETE:
            assert done is ClusterStatus.DELETE_COMPLETE
            assert done not in st.COMPLETE  # a deleted cluster is gone, not settled
        else:
            assert done in st.COMPLETE


def test_outcomes_lead_somewhere_usable() -> None:
    """After any operation, success allows further changes and failure still allows delete."""
    for kind, (_running, done, failed) in st.TRANSITIONS.items():
        if kind is not OperationKind.DELETE:
            for follow_up in (OperationKind.UPDATE, OperationKind.RESIZE, OperationKind.UPGRADE):
                assert may_start(follow_up, done), (kind, follow_up)
        assert may_start(OperationKind.DELETE, failed)
        assert not may_start(OperationKind.UPDATE, failed)
    # A failed resize/update may be retried by a resize (Magnum's autoscaler relies on it).
    assert may_start(OperationKind.RESIZE, st.TRANSITIONS[OperationKind.RESIZE][2])


def test_nodegroup_transitions() -> None:
    table = {k.value: tuple(s.value for s in v) for k, v in st.NODEGROUP_TRANSITIONS.items()}
    assert table == EXPECTED_NODEGROUP_TRANSITIONS
    assert {k.value for k in st.NODEGROUP_KINDS} == set(EXPECTED_NODEGROUP_TRANSITIONS)


@pytest.mark.parametrize("status", [*ClusterStatus, None], ids=str)
def test_settled_is_no_status_in_progress_and_no_active_operation(
    status: ClusterStatus | None,
) -> None:
    running = status is not None and status.value.endswith("_IN_PROGRESS")
    assert st.in_progress(status) is running
    assert st.settled(status) is not running
    assert st.settled(status, ["COMPLETE", "FAILED", "CANCELLED"]) is not running
    for active in ("PENDING", "RUNNING"):
        assert st.settled(status, ["COMPLETE", active]) is False
