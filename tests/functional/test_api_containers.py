"""The container API refuses bad input with a clear 4xx before anything is written or started.

These run without a container host: every case here must be refused before the host would
be started (tests/integration/test_containers.py drives the real host).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, make_runtime, running_api

from dockyard.common import exceptions
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.db.repositories import containers as container_repo
from dockyard.services import container_hosts


@pytest.fixture
def allowed_dir(tmp_path: Path) -> Path:
    allowed = tmp_path / "allowed"
    (allowed / "data").mkdir(parents=True)
    return allowed


@pytest.fixture
def api(tmp_path: Path, sqlite_url: str, allowed_dir: Path) -> Iterator[Api]:
    # A dockerd that does not exist: reaching the host would be a 400 naming it, which the
    # assertions below would not accept.
    runtime = make_runtime(
        tmp_path,
        sqlite_url,
        {"containers": {"allowed_host_mounts": str(allowed_dir), "dockerd": "/nonexistent"}},
    )
    with running_api(runtime) as client:
        yield client


def _refused(api: Api, body: Any, status: int = 400) -> str:
    response = api.post("/v1/containers", body)
    assert response.status_code == status, response.text
    error = response.json()["errors"][0]
    assert error["status"] == status
    assert "/nonexistent" not in error["detail"], "validation must come before the host"
    listed = api.get("/v1/containers")
    assert listed.status_code == 200, listed.text
    assert listed.json()["containers"] == [], "a refused create must write nothing"
    return str(error["detail"])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], "expected a JSON object"),
        ({"nmae": "x"}, "Unknown attribute for argument container: nmae"),
        ({"name": "-bad"}, "name"),
        ({"name": "a" * 256}, "name"),
        ({"command": 42}, "command"),
        ({"command": ["echo", 1]}, "command"),
        ({"command": "echo 'unbalanced"}, "command"),
        ({"environment": ["A=1"]}, "environment"),
        ({"environment": {"A": 1}}, "environment"),
        ({"environment": {"A=B": "1"}}, "environment"),
        ({"image": ""}, "image"),
        ({"vol_name": "v", "vol_size": 0}, "vol_size"),
        ({"vol_name": "v", "vol_size": -3}, "vol_size"),
        ({"vol_name": "v", "vol_size": "1"}, "vol_size"),
        ({"vol_size": 1}, "vol_size needs vol_name"),
        ({"volume_driver": "local"}, "volume_driver needs vol_name"),
        ({"vol_name": "v", "vol_destination": "data"}, "vol_destination"),
        ({"start": "yes"}, "start"),
        (
            {"vol_name": "v", "vol_size": 1, "mounts": [{"source": "w", "destination": "/w"}]},
            "either vol_name or mounts",
        ),
        ({"mounts": [{"source": "w", "destination": "w"}]}, "destination"),
        ({"mounts": [{"destination": "/w"}]}, "mandatory field missing"),
        ({"mounts": [{"source": "w", "destination": "/w", "type": "tmpfs"}]}, "type"),
        ({"mounts": {"source": "w"}}, "mounts"),
        (
            {
                "mounts": [
                    {"source": "v", "destination": "/d"},
                    {"source": "w", "destination": "/d/"},
                ]
            },
            "share one destination",
        ),
        ({"vol_name": "nosuch"}, "Volume nosuch does not exist: give vol_size to create it"),
        ({"mounts": [{"source": "nosuch", "destination": "/d"}]}, "Volume nosuch does not exist"),
    ],
)
def test_bad_input_is_400(api: Api, body: Any, expected: str) -> None:
    assert expected in _refused(api, body)


def test_host_directory_outside_the_allow_list_is_400(api: Api, allowed_dir: Path) -> None:
    outside = allowed_dir.parent / "outside"
    outside.mkdir()
    detail = _refused(
        api, {"mounts": [{"type": "bind", "source": str(outside), "destination": "/h"}]}
    )
    assert "not under an allowed prefix" in detail
    # `..` and symlinks are resolved before the prefix is compared.
    sneaky = f"{allowed_dir}/../outside"
    detail = _refused(api, {"mounts": [{"type": "bind", "source": sneaky, "destination": "/h"}]})
    assert "not under an allowed prefix" in detail
    link = allowed_dir / "link"
    os.symlink(outside, link)
    detail = _refused(api, {"mounts": [{"type": "bind", "source": str(link), "destination": "/h"}]})
    assert "not under an allowed prefix" in detail
    # A sibling whose name merely starts with the prefix is outside too.
    sibling = Path(f"{allowed_dir}-sibling")
    sibling.mkdir()
    detail = _refused(
        api, {"mounts": [{"type": "bind", "source": str(sibling), "destination": "/h"}]}
    )
    assert "not under an allowed prefix" in detail


def test_host_directory_must_exist_and_be_absolute(api: Api, allowed_dir: Path) -> None:
    missing = allowed_dir / "missing"
    detail = _refused(
        api, {"mounts": [{"type": "bind", "source": str(missing), "destination": "/h"}]}
    )
    assert "does not exist" in detail
    detail = _refused(api, {"mounts": [{"type": "bind", "source": "data", "destination": "/h"}]})
    assert "must be absolute" in detail


def test_host_directories_are_refused_without_an_allow_list(
    tmp_path: Path, sqlite_url: str
) -> None:
    (tmp_path / "d").mkdir()
    runtime = make_runtime(tmp_path, sqlite_url, {"containers": {"dockerd": "/nonexistent"}})
    with running_api(runtime) as api:
        body = {"mounts": [{"type": "bind", "source": str(tmp_path / "d"), "destination": "/h"}]}
        assert "allowed_host_mounts is empty" in _refused(api, body)


def test_container_api_switched_off_is_400(tmp_path: Path, sqlite_url: str) -> None:
    runtime = make_runtime(tmp_path, sqlite_url, {"containers": {"enabled": False}})
    with running_api(runtime) as api:
        assert "[containers] enabled" in _refused(api, {"name": "c"})


def test_a_reader_cannot_create(api: Api) -> None:
    response = api.post("/v1/containers", {"name": "c"}, headers={"X-Roles": "reader"})
    assert response.status_code == 403, response.text
    assert "container:create" in response.json()["errors"][0]["detail"]


def test_duplicate_name_is_409(api: Api) -> None:
    with api.runtime.db.write() as session:
        container_repo.add(
            session,
            {"uuid": "5b1c6a4e-1111-4f5e-9a3e-2b7b8e9f0a01", "name": "taken",
             "project_id": "default", "user_id": "admin", "image": "dockyard/busybox:1",
             "status": "Stopped", "host": "default"},
        )  # fmt: skip
    response = api.post("/v1/containers", {"name": "taken"})
    assert response.status_code == 409, response.text
    assert "already exists" in response.json()["errors"][0]["title"]
    # Another project may use the name (it is checked before the host would start).
    other = api.post("/v1/containers", {"name": "taken"}, headers={"X-Project-Id": "p2"})
    assert "/nonexistent" in other.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/containers/nosuch", 404),
        ("DELETE", "/v1/containers/nosuch", 404),
        ("POST", "/v1/containers/nosuch/start", 404),
        ("POST", "/v1/containers/nosuch/stop", 404),
        ("GET", "/v1/containers/nosuch/logs", 404),
        ("GET", "/v1/containers/nosuch/logs?tail=abc", 400),
        ("DELETE", "/v1/containers/nosuch?force=maybe", 400),
        ("GET", "/v1/containers?colour=red", 400),
        ("GET", "/v1/containers?limit=0", 400),
    ],
)
def test_unknown_containers_and_bad_queries(api: Api, method: str, path: str, status: int) -> None:
    response = api.request(method, path)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["status"] == status


def test_reads_take_no_write_lock_when_nothing_changed(api: Api, sqlite_url: str) -> None:
    """A GET syncs with the engine by reading first: with nothing to change it must not wait
    for SQLite's write lock (another writer holds it here for the whole request)."""
    with api.runtime.db.write() as session:
        container_repo.add(
            session,
            {"uuid": "5b1c6a4e-2222-4f5e-9a3e-2b7b8e9f0a02", "name": "quiet",
             "project_id": "default", "user_id": "admin", "image": "dockyard/busybox:1",
             "status": "Stopped", "status_reason": "exited with code 0",
             "host": api.runtime.conf.containers.host_name},
        )  # fmt: skip
    writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=1)
    writer.execute("BEGIN IMMEDIATE")
    try:
        # Were a read to need the lock, it would fail with "database is locked" once the busy
        # timeout passed (the writer lets go only after both reads): a 500, not a 200.
        shown = api.get("/v1/containers/quiet")
        listed = api.get("/v1/containers")
    finally:
        writer.rollback()
        writer.close()
    assert shown.status_code == 200 and shown.json()["status"] == "Stopped", shown.text
    assert [c["name"] for c in listed.json()["containers"]] == ["quiet"]


def test_destroying_the_host_with_containers_on_it_needs_force(api: Api) -> None:
    with api.runtime.db.write() as session:
        container_repo.add(
            session,
            {"uuid": "5b1c6a4e-3333-4f5e-9a3e-2b7b8e9f0a03", "name": "kept",
             "project_id": "default", "user_id": "admin", "image": "dockyard/busybox:1",
             "status": "Stopped", "host": api.runtime.conf.containers.host_name},
        )  # fmt: skip
    with pytest.raises(exceptions.Conflict, match=r"still has 1 container\(s\) \(kept\)"):
        container_hosts.destroy(api.runtime)
    assert not container_hosts.engine(api.runtime).exists()


# -- containers on a cluster ---------------------------------------------------------------
MEMBER_B = {"X-Project-Id": "project-b", "X-User-Id": "bob", "X-Roles": "member"}


def _fake_cluster(api: Api, name: str) -> str:
    """A CREATE_COMPLETE cluster of the TEST-ONLY fake driver (its API address is made up)."""
    api.template(name=f"{name}-template", coe="swarm-mode")
    made = api.post("/v1/clusters", {"name": name, "cluster_template_id": f"{name}-template"})
    assert made.status_code == 202, made.text
    api.wait_status(name, "CREATE_COMPLETE")
    return str(made.json()["uuid"])


def _pretend_local(api: Api, ident: str, status: str) -> None:
    """Make the fake cluster look like one of the local driver in `status` (no cluster is
    built here; the integration tests use real ones)."""
    with api.runtime.db.write() as session:
        cluster = cluster_repo.get(session, ident, None)
        cluster.driver, cluster.status = "local", status


def test_cluster_rules_are_checked_before_anything_is_made(api: Api) -> None:
    _fake_cluster(api, "c1")
    assert "Cluster nosuch could not be found" in _refused(api, {"cluster": "nosuch"}, 404)
    # Another project's cluster is not found, whatever its state.
    response = api.post("/v1/containers", {"cluster": "c1"}, headers=MEMBER_B)
    assert response.status_code == 404, response.text
    assert "built by the fake driver" in _refused(api, {"cluster": "c1"})
    for status in ("CREATE_IN_PROGRESS", "UPDATE_FAILED", "DELETE_IN_PROGRESS"):
        _pretend_local(api, "c1", status)
        detail = _refused(api, {"cluster": "c1"}, 409)
        assert f"while its status is {status}" in detail
    _pretend_local(api, "c1", "UPDATE_COMPLETE")
    # The template has no volume_driver: no volume can be mounted there.
    detail = _refused(api, {"cluster": "c1", "vol_name": "v", "vol_size": 1})
    assert "cannot mount Dockyard volumes" in detail and "rexray" in detail
    assert api.get("/v1/volumes").json()["volumes"] == [], "no volume may be made first"
    # An API address that is not on this machine: nothing is ever sent there.
    with api.runtime.db.write() as session:
        cluster_repo.get(session, "c1", None).api_address = "https://192.0.2.10:6443"
    detail = _refused(api, {"cluster": "c1"}, 409)
    assert "has no API address on this machine (https://192.0.2.10:6443)" in detail


def test_bind_mounts_are_refused_on_a_cluster(api: Api, allowed_dir: Path) -> None:
    _fake_cluster(api, "c2")
    _pretend_local(api, "c2", "CREATE_COMPLETE")
    bind = {"type": "bind", "source": str(allowed_dir / "data"), "destination": "/h"}
    assert "not available on cluster c2" in _refused(api, {"cluster": "c2", "mounts": [bind]})


def test_containers_of_a_deleted_cluster_show_error_and_can_be_deleted(api: Api) -> None:
    cluster = _fake_cluster(api, "c3")
    with api.runtime.db.write() as session:
        container_repo.add(
            session,
            {"uuid": "5b1c6a4e-4444-4f5e-9a3e-2b7b8e9f0a04", "name": "orphan",
             "project_id": "default", "user_id": "admin", "image": "dockyard/busybox:1",
             "status": "Running", "status_reason": "running on c3-node-0", "cluster_id": cluster,
             "docker_id": "service-id"},
        )  # fmt: skip
    # While the cluster's API cannot be asked, the recorded status stands.
    assert api.get("/v1/containers/orphan").json()["status"] == "Running"
    assert api.delete("/v1/clusters/c3").status_code == 204
    shown = api.get("/v1/containers/orphan").json()
    assert (shown["status"], shown["status_reason"]) == ("Error", "its cluster was deleted")
    assert api.post("/v1/containers/orphan/start").status_code == 409
    logs = api.get("/v1/containers/orphan/logs")
    assert logs.status_code == 409 and "its cluster was deleted" in logs.text
    assert api.delete("/v1/containers/orphan").status_code == 204
    assert api.get("/v1/containers").json()["containers"] == []
