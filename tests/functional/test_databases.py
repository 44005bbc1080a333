"""The schema and the whole API + conductor lifecycle on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import Api, make_runtime, running_api, subprocess_env, write_config
from harness.waiting import wait_until

from dockyard.db import migration
from dockyard.db.models import Base, Cluster

TABLES = {
    "alembic_version",
    "cluster_events",
    "cluster_templates",
    "clusters",
    "certificates",
    "containers",
    "nodegroups",
    "operations",
    "project_locks",
    "quotas",
    "services",
    "volume_attachments",
    "volumes",
}


def test_migrations_and_db_version(any_db_url: str, tmp_path: Path) -> None:
    head = migration.head_version()
    assert head
    assert migration.current_version(any_db_url) is None
    migration.upgrade(any_db_url)
    migration.upgrade(any_db_url)  # a second upgrade is a no-op
    assert migration.current_version(any_db_url) == head

    engine = sa.create_engine(any_db_url)
    try:
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) >= TABLES
        if engine.dialect.name == "mysql":
            # MariaDB's DATETIME is whole seconds unless the migration asks for fsp=6.
            for table in ("clusters", "operations", "cluster_events"):
                for column in inspector.get_columns(table):
                    if column["name"].endswith("_at"):
                        assert getattr(column["type"], "fsp", None) == 6, (table, column)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()

    config = write_config(
        tmp_path / "manage.conf",
        {"DEFAULT": {"state_path": tmp_path / "state"}, "database": {"connection": any_db_url}},
    )
    manage = str(Path(sys.executable).parent / "dockyard-manage")
    result = subprocess.run(
        [manage, "--config-file", str(config), "db", "version"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == head


@pytest.fixture
def db_api(tmp_path: Path, any_db_url: str) -> Iterator[Api]:
    """The in-process app and conductor (like the `api` fixture) on each database."""
    runtime = make_runtime(tmp_path, any_db_url, {"quotas": {"max_clusters_per_project": 100}})
    with running_api(runtime) as client:
        yield client


def create(api: Api, name: str, **fields: Any) -> str:
    response = api.post("/v1/clusters", {"name": name, "cluster_template_id": "k8s", **fields})
    assert response.status_code == 202, response.text
    return str(response.json()["uuid"])


def wait_all(api: Api, uuids: set[str], status: str, timeout: float = 30) -> list[dict[str, Any]]:
    """The detail rows of `uuids` once every one of them is in `status`."""

    def ours() -> list[dict[str, Any]]:
        rows = api.get("/v1/clusters/detail", params={"limit": 1000}).json()["clusters"]
        return [r for r in rows if r["uuid"] in uuids]

    def all_there(found: list[dict[str, Any]]) -> bool:
        return len(found) == len(uuids) and {r["status"] for r in found} == {status}

    return wait_until(ours, timeout, f"every cluster {status}", until=all_there, interval=0.05)


def test_lifecycle(db_api: Api) -> None:
    api = db_api
    template = api.template(name="k8s")

    # create -> resize -> delete
    uuid = create(api, "life", node_count=1)
    body = api.wait_status(uuid, "CREATE_COMPLETE", "CREATE_FAILED")
    assert body["status"] == "CREATE_COMPLETE", body
    assert body["cluster_template_id"] == template["uuid"]
    assert body["api_address"] == "https://127.51.100.10:6443"
    response = api.post(f"/v1/clusters/{uuid}/actions/resize", {"node_count": 3})
    assert response.status_code == 202, response.text
    body = api.wait_status(uuid, "UPDATE_COMPLETE", "UPDATE_FAILED")
    assert body["status"] == "UPDATE_COMPLETE", body
    assert body["node_count"] == 3
    assert len(body["node_addresses"]) == 3
    events = [e["event"] for e in api.get(f"/v1/clusters/{uuid}/events").json()["events"]]
    # The operations' own events (a health check right after each adds health.changed).
    events = [e for e in events if not e.startswith("health.")]
    assert events == [
        "create.requested",
        "create.started",
        "create.complete",
        "resize.requested",
        "resize.started",
        "resize.complete",
    ]
    assert api.delete(f"/v1/clusters/{uuid}").status_code == 204
    api.wait_status(uuid, "DELETE_COMPLETE")
    assert api.get(f"/v1/clusters/{uuid}").status_code == 404

    # 25 clusters, paged by name, descending
    uuids = {create(api, f"p{i:02d}") for i in range(25)}
    rows = wait_all(api, uuids, "CREATE_COMPLETE")
    by_name = {r["name"]: r["uuid"] for r in rows}
    pages: list[list[str]] = []
    params: dict[str, Any] = {"sort_key": "name", "sort_dir": "desc", "limit": 10}
    while True:
        body = api.get("/v1/clusters", params=params).json()
        pages.append([c["name"] for c in body["clusters"]])
        if "next" not in body:
            break
        marker = body["clusters"][-1]["uuid"]
        assert f"marker={marker}" in body["next"]
        assert "sort_key=name&sort_dir=desc&limit=10" in body["next"]
        params = {**params, "marker": marker}
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [name for page in pages for name in page] == [f"p{i:02d}" for i in reversed(range(25))]
    ascending = api.get(
        "/v1/clusters",
        params={"sort_key": "name", "sort_dir": "asc", "limit": 3, "marker": by_name["p09"]},
    ).json()
    assert [c["name"] for c in ascending["clusters"]] == ["p10", "p11", "p12"]

    # Timestamps keep their microseconds (MariaDB's DATETIME drops them unless told not to).
    created = [dt.datetime.fromisoformat(r["created_at"]) for r in rows]
    assert len(set(created)) == 25
    assert any(c.microsecond for c in created)
    exact = dt.datetime(2031, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)
    with api.runtime.db.write() as session:
        session.execute(
            sa.update(Cluster).where(Cluster.uuid == by_name["p00"]).values(created_at=exact)
        )
    shown = api.get(f"/v1/clusters/{by_name['p00']}").json()["created_at"]
    assert dt.datetime.fromisoformat(shown) == exact

    # Names: lookup by name; a second cluster with the same name makes the name ambiguous.
    found = api.get("/v1/clusters/p07")
    assert found.status_code == 200
    assert found.json()["uuid"] == by_name["p07"]
    twin = create(api, "p07")
    assert api.wait_status(twin, "CREATE_COMPLETE")["name"] == "p07"
    for method in ("GET", "DELETE"):
        response = api.request(method, "/v1/clusters/p07")
        assert response.status_code == 409, response.text
        assert "Multiple clusters exist with same name" in response.text
    assert api.get(f"/v1/clusters/{twin}").status_code == 200
    assert api.delete(f"/v1/clusters/{twin}").status_code == 204
    api.wait_status(twin, "DELETE_COMPLETE")
    assert api.get("/v1/clusters/p07").json()["uuid"] == by_name["p07"]
