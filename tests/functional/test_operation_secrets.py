"""An operation keeps the requester's token only while it runs (any final state drops it)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import make_runtime

from dockyard.db import migration
from dockyard.db.models import utcnow
from dockyard.db.repositories import operations as op_repo
from dockyard.domain.status import OperationState


def _operation(params: dict[str, object], token: str) -> dict[str, object]:
    return {
        "uuid": str(uuid.uuid4()),
        "cluster_id": str(uuid.uuid4()),
        "project_id": "p",
        "user_id": "u",
        "kind": "create",
        "state": OperationState.PENDING.value,
        "params": params,
        "auth_token": token,
        "next_run_at": utcnow(),
    }


@pytest.mark.parametrize("ending", ["finish", "cancel"])
def test_token_is_dropped_when_the_operation_ends(
    tmp_path: Path, any_db_url: str, ending: str
) -> None:
    rt = make_runtime(tmp_path, any_db_url)
    try:
        values = _operation({"node_count": 2}, "gAAAA-secret")
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
            assert row.auth_token is None
            assert row.params == {"node_count": 2}
    finally:
        rt.db.dispose()


def test_upgrade_moves_control_keys_out_of_params(tmp_path: Path, any_db_url: str) -> None:
    """An operation queued before migration 0007 keeps its token and control values, now in
    their own columns, and its params hold only the request's values."""
    migration.upgrade(any_db_url, "0006")
    values = _operation({"node_count": 2}, "unused")
    del values["auth_token"]
    values["params"] = {
        "node_count": 2,
        "_auth_token": "gAAAA-secret",
        "_polling": True,
        "_retries": 3,
        "_replaced_certs": ["ref-1"],
        "_relabel": True,
        "_previous": {"max_node_count": 4},
    }
    engine = sa.create_engine(any_db_url)
    try:
        # The table as revision 0006 has it (params is JSON, which MariaDB reflects as text).
        reflected = sa.Table("operations", sa.MetaData(), autoload_with=engine).columns
        table = sa.table(
            "operations",
            *(sa.column(c.name, sa.JSON() if c.name == "params" else c.type) for c in reflected),
        )
        with engine.begin() as connection:
            now = utcnow()
            inserted = {**values, "attempts": 0, "created_at": now, "updated_at": now}
            connection.execute(sa.insert(table).values(**inserted))
    finally:
        engine.dispose()
    rt = make_runtime(tmp_path, any_db_url)  # migrates to head
    try:
        with rt.db.read() as session:
            row = op_repo.get(session, str(values["uuid"]))
            assert row is not None
            assert row.params == {"node_count": 2}
            assert (row.auth_token, row.polling, row.retries) == ("gAAAA-secret", True, 3)
            assert (row.replaced_certs, row.relabel) == (["ref-1"], True)
            assert row.restore == {"max_node_count": 4}
    finally:
        rt.db.dispose()
