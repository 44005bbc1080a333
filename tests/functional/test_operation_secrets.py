"""An operation keeps the requester's token only while it runs (any final state drops it)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from conftest import make_runtime

from dockyard.db.models import utcnow
from dockyard.db.repositories import operations as op_repo
from dockyard.domain.status import OperationState


def _operation(params: dict[str, object]) -> dict[str, object]:
    return {
        "uuid": str(uuid.uuid4()),
        "cluster_id": str(uuid.uuid4()),
        "project_id": "p",
        "user_id": "u",
        "kind": "create",
        "state": OperationState.PENDING.value,
        "params": params,
        "next_run_at": utcnow(),
    }


@pytest.mark.parametrize("ending", ["finish", "cancel"])
def test_token_is_dropped_when_the_operation_ends(
    tmp_path: Path, any_db_url: str, ending: str
) -> None:
    rt = make_runtime(tmp_path, any_db_url)
    try:
        values = _operation({"node_count": 2, "_auth_token": "gAAAA-secret"})
        with rt.db.write() as session:
            op_repo.add(session, values)
        with rt.db.write() as session:
            if ending == "finish":
                assert op_repo.finish(session, str(values["uuid"]), None, OperationState.FAILED)
            else:
                assert op_repo.cancel_pending(session, str(values["uuid"]), "superseded")
        with rt.db.read() as session:
            row = op_repo.get(session, str(values["uuid"]))
            assert row is not None
            assert row.params == {"node_count": 2}
    finally:
        rt.db.dispose()
