"""Nodegroups: create, update, delete and resize per group as durable operations, Magnum's
validation and error shapes, on SQLite, PostgreSQL and MariaDB; and concurrent changes to two
groups of one cluster, against real server processes, answered 202 or 409 and never lost."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Api, Server, make_runtime, running_api, start_server
from harness.waiting import wait_until


@pytest.fixture
def db_api(tmp_path: Path, any_db_url: str) -> Iterator[Api]:
    runtime = make_runtime(tmp_path, any_db_url)
    with running_api(runtime) as client:
        yield client


def _cluster(api: Api, name: str = "c1", **labels: str) -> str:
    api.template(name="k8s", master_lb_enabled=True)
    body = {"name": name, "cluster_template_id": "k8s", "node_count": 1, "labels": labels}
    response = api.post("/v1/clusters", body)
    assert response.status_code == 202, response.text
    uuid = str(response.json()["uuid"])
    api.wait_status(uuid, "CREATE_COMPLETE")
    return uuid


def _groups(api: Api, cluster: str) -> dict[str, dict[str, Any]]:
    rows = api.get(f"/v1/clusters/{cluster}/nodegroups").json()["nodegroups"]
    return {r["name"]: r for r in rows}


def _wait_group(api: Api, cluster: str, name: str, *statuses: str) -> dict[str, Any]:
    def shown() -> dict[str, Any]:
        response = api.get(f"/v1/clusters/{cluster}/nodegroups/{name}")
        if response.status_code == 404:
            return {"status": "GONE"}
        body: dict[str, Any] = response.json()
        return body

    return wait_until(
        shown, 20, f"nodegroup {name} in {statuses}",
        until=lambda b: b["status"] in statuses, interval=0.05,
    )  # fmt: skip


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["errors"][0]
    return error


def test_nodegroup_lifecycle(db_api: Api) -> None:
    api = db_api
    cluster = _cluster(api)

    created = api.post(
        f"/v1/clusters/{cluster}/nodegroups/",
        {
            "name": "gpu",
            "node_count": 2,
            "min_node_count": 1,
            "max_node_count": 3,
            "labels": {"docker_debug": "true"},
            "node_labels": {"pool": "gpu"},
        },
    )
    assert created.status_code == 202, created.text
    body = created.json()
    assert (body["name"], body["status"], body["is_default"]) == (
        "gpu",
        "CREATE_IN_PROGRESS",
        False,
    )
    assert body["cluster_id"] == cluster and body["node_labels"] == {"pool": "gpu"}
    assert body["image_id"] == "fedora-atomic-latest" and body["role"] == "worker"

    done = _wait_group(api, cluster, "gpu", "CREATE_COMPLETE", "CREATE_FAILED")
    assert done["status"] == "CREATE_COMPLETE", done
    assert len(done["node_addresses"]) == 2
    shown = api.get(f"/v1/clusters/{cluster}").json()
    assert (shown["status"], shown["node_count"]) == ("UPDATE_COMPLETE", 3)
    assert set(_groups(api, cluster)) == {"default-master", "default-worker", "gpu"}

    # Update: limits and node labels (the client's Python-literal string form).
    patch = [
        {"op": "replace", "path": "/max_node_count", "value": 4},
        {"op": "replace", "path": "/node_labels", "value": str({"pool": "big"})},
    ]
    updated = api.patch(f"/v1/clusters/{cluster}/nodegroups/gpu", patch)
    assert updated.status_code == 202, updated.text
    assert updated.json()["max_node_count"] == 4
    done = _wait_group(api, cluster, "gpu", "UPDATE_COMPLETE", "UPDATE_FAILED")
    assert (done["status"], done["node_labels"]) == ("UPDATE_COMPLETE", {"pool": "big"})

    # Resize of this group, inside and outside its limits.
    outside = api.post(
        f"/v1/clusters/{cluster}/actions/resize", {"node_count": 5, "nodegroup": "gpu"}
    )
    assert outside.status_code == 400
    assert "outside the allowed range" in _error(outside)["title"]
    inside = api.post(
        f"/v1/clusters/{cluster}/actions/resize", {"node_count": 4, "nodegroup": "gpu"}
    )
    assert inside.status_code == 202, inside.text
    api.wait_status(cluster, "UPDATE_COMPLETE")
    assert _groups(api, cluster)["gpu"]["node_count"] == 4
    assert api.get(f"/v1/clusters/{cluster}").json()["node_count"] == 5
    groups = {
        name: api.get(f"/v1/clusters/{cluster}/nodegroups/{name}").json()
        for name in ("gpu", "default-worker")
    }
    assert len(groups["gpu"]["node_addresses"]) == 4
    assert len(groups["default-worker"]["node_addresses"]) == 1

    deleted = api.delete(f"/v1/clusters/{cluster}/nodegroups/gpu")
    assert deleted.status_code == 204 and deleted.content == b""
    assert _wait_group(api, cluster, "gpu", "GONE")["status"] == "GONE"
    shown = api.get(f"/v1/clusters/{cluster}").json()
    assert (shown["status"], shown["node_count"]) == ("UPDATE_COMPLETE", 1)

    events = [e["event"] for e in api.get(f"/v1/clusters/{cluster}/events").json()["events"]]
    for kind in ("nodegroup_create", "nodegroup_update", "nodegroup_delete"):
        for step in ("requested", "started", "complete"):
            assert f"{kind}.{step}" in events, (kind, step, events)


def test_bad_nodegroup_input_answers_magnum_errors(db_api: Api) -> None:
    api = db_api
    cluster = _cluster(api)
    path = f"/v1/clusters/{cluster}/nodegroups"
    assert api.post(path, {"name": "pool", "node_count": 1}).status_code == 202
    _wait_group(api, cluster, "pool", "CREATE_COMPLETE")

    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"name": "pool"}, 409, "already exists"),
        ({"name": "default-worker"}, 409, "already exists"),
        ({"name": "a", "min_node_count": 3, "max_node_count": 2}, 409, "min_node_count (3)"),
        ({"name": "a", "node_count": 5, "max_node_count": 2}, 409, "node_count (5)"),
        ({"name": "a", "node_count": 1, "min_node_count": 2}, 409, "min_node_count (2)"),
        ({"name": "a", "role": "master"}, 400, "Creating master nodegroups"),
        ({"name": "a", "node_labels": {"kubernetes.io/foo": "x"}}, 409, "reserved namespace"),
        ({"name": "a", "node_labels": {"magnum.openstack.org/role": "x"}}, 409, "set from the"),
        ({"name": "a", "node_taints": [{"key": "k", "effect": "Never"}]}, 409, "effect must be"),
        ({"name": "a", "node_count": -1}, 400, "node_count"),
        ({"name": "a", "status": "CREATE_COMPLETE"}, 400, "read only"),
        ({"node_count": 1}, 400, "name"),
        ({"name": "a", "colour": "blue"}, 400, "colour"),
    ]  # fmt: skip
    for body, status, needle in cases:
        response = api.post(path, body)
        assert response.status_code == status, (body, response.text)
        error = _error(response)
        assert (error["status"], error["code"]) == (status, "client"), error
        assert needle in error["detail"], (body, error)
    assert set(_groups(api, cluster)) == {"default-master", "default-worker", "pool"}

    default = api.delete(f"{path}/default-worker")
    assert default.status_code == 400
    assert _error(default)["title"] == "Deleting a default nodegroup is not supported"
    assert api.delete(f"{path}/nope").status_code == 404

    patches: list[tuple[list[dict[str, Any]], int, str]] = [
        ([{"op": "replace", "path": "/max_node_count", "value": 0}], 409, "max_node_count"),
        ([{"op": "replace", "path": "/min_node_count", "value": 2}], 409, "min_node_count (2)"),
        ([{"op": "replace", "path": "/node_count", "value": 2}], 400, "internal attribute"),
        ([{"op": "replace", "path": "/name", "value": "x"}], 400, "internal attribute"),
        ([{"op": "replace", "path": "/min_node_count", "value": "x"}], 400, "min_node_count"),
    ]
    for ops, status, needle in patches:
        response = api.patch(f"{path}/pool", ops)
        assert response.status_code == status, (ops, response.text)
        assert needle in _error(response)["detail"], (ops, response.text)
    assert _groups(api, cluster)["pool"]["status"] == "CREATE_COMPLETE"

    old = api.post(path, {"name": "b"}, headers={"OpenStack-API-Version": "container-infra 1.8"})
    assert old.status_code == 406
    zero = api.post(
        path, {"name": "b", "node_count": 0},
        headers={"OpenStack-API-Version": "container-infra 1.9"},
    )  # fmt: skip
    assert zero.status_code == 400


def test_busy_cluster_answers_409_and_failed_group_can_be_deleted(db_api: Api) -> None:
    api = db_api
    cluster = _cluster(api, fake_seconds="0.6", fake_fail="nodegroup_create")
    path = f"/v1/clusters/{cluster}/nodegroups"
    assert api.post(path, {"name": "bad"}).status_code == 202
    busy = api.post(path, {"name": "other"})
    assert busy.status_code == 409
    assert "operation in progress" in _error(busy)["detail"]
    assert api.delete(f"{path}/bad").status_code == 409
    failed = _wait_group(api, cluster, "bad", "CREATE_FAILED", "CREATE_COMPLETE")
    assert failed["status"] == "CREATE_FAILED"
    assert "told to fail nodegroup_create" in failed["status_reason"]
    assert api.get(f"/v1/clusters/{cluster}").json()["status"] == "UPDATE_FAILED"
    assert "other" not in _groups(api, cluster)

    assert api.delete(f"{path}/bad").status_code == 204
    _wait_group(api, cluster, "bad", "GONE")
    assert api.get(f"/v1/clusters/{cluster}").json()["status"] == "UPDATE_COMPLETE"


def test_other_projects_and_readers_cannot_change_nodegroups(api: Api) -> None:
    cluster = _cluster(api)
    path = f"/v1/clusters/{cluster}/nodegroups"
    other = {"X-Project-Id": "project-b", "X-User-Id": "bob", "X-Roles": "member"}
    limit = [{"op": "replace", "path": "/max_node_count", "value": 3}]
    assert api.post(path, {"name": "x"}, headers=other).status_code == 404
    assert api.patch(f"{path}/default-worker", limit, headers=other).status_code == 404
    assert api.delete(f"{path}/default-worker", headers=other).status_code == 404
    reader = {"X-Roles": "reader"}
    refused = api.post(path, {"name": "x"}, headers=reader)
    assert refused.status_code == 403
    assert "nodegroup:create" in _error(refused)["detail"]
    assert api.patch(f"{path}/default-worker", limit, headers=reader).status_code == 403
    assert set(_groups(api, cluster)) == {"default-master", "default-worker"}
    assert _groups(api, cluster)["default-worker"]["max_node_count"] is None


# -- races between real server processes --------------------------------------------------
@pytest.fixture(params=["postgresql", "mysql"])
def two_servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """`dockyard` (API and conductor) and a second `dockyard-api` on one real database."""
    url = str(
        request.getfixturevalue("postgres_url" if request.param == "postgresql" else "mysql_url")
    )
    database = {"database": {"connection": url}}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_server(tmp_path / "a", "dockyard", database)
    try:
        second = start_server(tmp_path / "b", "dockyard-api", database)
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def test_concurrent_changes_to_two_groups_are_never_lost(
    two_servers: tuple[Server, Server],
) -> None:
    clients = [httpx.Client(base_url=s.url, headers=LATEST, timeout=30) for s in two_servers]
    http = clients[0]
    template = {"name": "k8s", "coe": "kubernetes", "image_id": "fedora-atomic-latest"}
    assert http.post("/v1/clustertemplates", json=template).status_code == 201
    body = {"name": "race", "cluster_template_id": "k8s", "labels": {"fake_seconds": "0.2"}}
    cluster = http.post("/v1/clusters", json=body).json()["uuid"]

    def status() -> str:
        return str(http.get(f"/v1/clusters/{cluster}").json()["status"])

    def settled() -> bool:
        return status() in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_FAILED")

    wait_until(settled, 30, "the cluster to settle")
    path = f"/v1/clusters/{cluster}/nodegroups"

    # Eight creates of different groups, and two of one name, at once through both APIs.
    names = [f"g{i}" for i in range(8)] + ["same", "same"]

    def create(i: int) -> tuple[str, int]:
        response = clients[i % 2].post(path, json={"name": names[i], "node_count": 1})
        return names[i], response.status_code

    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(create, range(len(names))))
    assert {code for _, code in answers} <= {202, 409}, answers
    accepted = [name for name, code in answers if code == 202]
    assert len(accepted) >= 1 and len(set(accepted)) == len(accepted), answers
    wait_until(settled, 30, "the accepted create to finish")
    groups = {r["name"]: r for r in http.get(path).json()["nodegroups"]}
    assert set(groups) == {"default-master", "default-worker", *accepted}, (answers, groups)
    assert {groups[n]["status"] for n in accepted} == {"CREATE_COMPLETE"}

    # Then an update of one group and a delete of another, at once: one wins, one gets 409.
    other = http.post(path, json={"name": "other"})
    assert other.status_code == 202, other.text
    wait_until(settled, 30, "the second group to be created")
    with ThreadPoolExecutor(2) as pool:
        update = pool.submit(
            clients[0].patch,
            f"{path}/{accepted[0]}",
            json=[{"op": "replace", "path": "/max_node_count", "value": 5}],
        )
        delete = pool.submit(clients[1].delete, f"{path}/other")
        codes = sorted([update.result().status_code, delete.result().status_code])
    assert codes in ([202, 204], [202, 409], [204, 409]), codes
    wait_until(settled, 30, "the change to finish")
    groups = {r["name"]: r for r in http.get(path).json()["nodegroups"]}
    assert ("other" not in groups) == (delete.result().status_code == 204), groups
    expected_max = 5 if update.result().status_code == 202 else None
    assert groups[accepted[0]]["max_node_count"] == expected_max
    ops = http.get(f"/v1/clusters/{cluster}/events").json()["operations"]
    assert {o["state"] for o in ops} == {"COMPLETE"}, ops
    for client in clients:
        client.close()
