"""/v1/volumes through the in-process app: shapes, every bad input, 409s, policy, recovery.

Creating a `local` volume makes a real sparse ext4 image (mkfs.ext4); mounting one (the 409
cases) needs root and loop devices (require_host: skipped without them, failed under CI=true).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from conftest import Api, make_runtime, running_api
from harness.host import require_host

from dockyard.common.context import RequestContext
from dockyard.db.repositories import containers as container_repo
from dockyard.db.repositories import volumes as repo
from dockyard.domain.engines import EngineSocket
from dockyard.services import volume_plugin, volumes
from dockyard.services.runtime import Runtime

needs_mount = require_host("root", "loop-devices")
MEMBER_B = {"X-Project-Id": "project-b", "X-User-Id": "bob", "X-Roles": "member"}
READER = {"X-Project-Id": "default", "X-User-Id": "rita", "X-Roles": "reader"}


def _error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["errors"][0]
    assert set(body) == {"request_id", "code", "status", "title", "detail", "links"}
    assert body["status"] == response.status_code
    return body


def _create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/volumes", {"size": 1, **body})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_create_show_list(api: Api) -> None:
    made = _create(api, name="data", options={"multiattach": "true"})
    assert made["status"] == "available" and made["volume_driver"] == "local"
    assert made["options"] == {"fstype": "ext4", "multiattach": True}
    assert made["usage"]["size_bytes"] == 2**30
    assert made["attachments"] == []
    shown = api.get("/v1/volumes/data").json()
    assert shown["uuid"] == made["uuid"]
    assert api.get(f"/v1/volumes/{made['uuid']}").json()["name"] == "data"
    listed = api.get("/v1/volumes").json()["volumes"]
    assert [(v["name"], v["attachment_count"]) for v in listed] == [("data", 0)]
    assert api.get("/v1/volumes", headers=MEMBER_B).json()["volumes"] == []
    assert api.get("/v1/volumes/data", headers=MEMBER_B).status_code == 404


def test_list_pages(api: Api) -> None:
    names = [_create(api, name=f"v{i}")["uuid"] for i in range(3)]
    first = api.get("/v1/volumes?limit=2").json()
    assert [v["uuid"] for v in first["volumes"]] == names[:2]
    assert "marker=" + names[1] in first["next"]
    rest = api.get(f"/v1/volumes?limit=2&marker={names[1]}").json()
    assert [v["uuid"] for v in rest["volumes"]] == names[2:]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"size": -1}, "size must be between 1 and 1024 GiB"),
        ({"size": 0}, "size must be between 1 and 1024 GiB"),
        ({"size": 1025}, "size must be between 1 and 1024 GiB"),
        ({"size": "1"}, "Invalid input for field/attribute size"),
        ({"size": 1.5}, "Invalid input for field/attribute size"),
        ({}, "mandatory field missing"),
        ({"size": 1, "volume_driver": "rexray"}, "Volume driver 'rexray' is not enabled"),
        ({"size": 1, "volume_driver": "cinder"}, "cinder cannot work on this host: Cinder is not"),
        ({"size": 1, "options": {"fstype": "xfs"}}, "fstype 'xfs' is not supported"),
        ({"size": 1, "options": {"multiattach": "maybe"}}, "must be true or false"),
        ({"size": 1, "options": {"color": "red"}}, "unknown option(s) color"),
        ({"size": 1, "name": "has space"}, "Invalid input for field/attribute name"),
        ({"size": 1, "name": "-dash"}, "Invalid input for field/attribute name"),
        ({"size": 1, "name": "0b9e3f6e-6f1c-4a9c-9d87-6a5d6d7a1c11"}, "must not be a UUID"),
        ({"size": 1, "status": "available"}, "Cannot set read only field status"),
        ({"size": 1, "bogus": 1}, "Unknown attribute for argument volume: bogus"),
    ],
)
def test_bad_create_is_400_and_writes_nothing(api: Api, body: dict[str, Any], detail: str) -> None:
    response = api.post("/v1/volumes", body)
    assert response.status_code == 400, response.text
    assert detail in _error(response)["detail"]
    assert api.get("/v1/volumes").json()["volumes"] == []


def test_duplicate_name_in_a_project_is_409_elsewhere_fine(api: Api) -> None:
    _create(api, name="dup")
    again = api.post("/v1/volumes", {"size": 1, "name": "dup"})
    assert again.status_code == 409
    assert _error(again)["title"] == "A volume with name dup already exists in project default"
    assert api.post("/v1/volumes", {"size": 1, "name": "dup"}, headers=MEMBER_B).status_code == 201


def test_patch_renames_and_grows_never_shrinks(api: Api) -> None:
    made = _create(api, name="old", size=2)
    renamed = api.patch("/v1/volumes/old", [{"op": "replace", "path": "/name", "value": "new"}])
    assert renamed.status_code == 200 and renamed.json()["name"] == "new"
    grown = api.patch("/v1/volumes/new", [{"op": "replace", "path": "/size", "value": 3}])
    assert grown.status_code == 200 and grown.json()["size"] == 3
    assert grown.json()["usage"]["size_bytes"] == 3 * 2**30
    shrink = api.patch("/v1/volumes/new", [{"op": "replace", "path": "/size", "value": 1}])
    assert shrink.status_code == 400
    assert "volumes can only grow" in _error(shrink)["detail"]
    for op, why in [
        ({"op": "replace", "path": "/size", "value": 5000}, "between 1 and 1024"),
        ({"op": "replace", "path": "/status", "value": "error"}, "internal attribute"),
        ({"op": "replace", "path": "/volume_driver", "value": "cinder"}, "internal attribute"),
        ({"op": "remove", "path": "/size"}, "mandatory attribute"),
        ({"op": "replace", "path": "/name", "value": "bad name"}, "field/attribute name"),
    ]:
        response = api.patch(f"/v1/volumes/{made['uuid']}", [op])
        assert response.status_code == 400, (op, response.text)
        assert why in _error(response)["detail"]
    _create(api, name="taken")
    clash = api.patch("/v1/volumes/new", [{"op": "replace", "path": "/name", "value": "taken"}])
    assert clash.status_code == 409
    assert api.get(f"/v1/volumes/{made['uuid']}").json()["size"] == 3


def test_rename_refused_while_a_cluster_container_mounts_it_by_name(api: Api) -> None:
    made = _create(api, name="named")
    mounts = [{"type": "volume", "source": made["uuid"], "destination": "/data"}]
    row = {"project_id": "default", "user_id": "u", "image": "dockyard-node", "status": "Stopped",
           "mounts": mounts}  # fmt: skip
    with api.runtime.db.write() as session:
        container_repo.add(session, {**row, "uuid": str(uuid.uuid4()), "name": "on-host"})
    rename = [{"op": "replace", "path": "/name", "value": "renamed"}]
    # A container on the container host mounts it by uuid: renaming is harmless.
    assert api.patch("/v1/volumes/named", rename).status_code == 200
    with api.runtime.db.write() as session:
        container_repo.add(
            session,
            {**row, "uuid": str(uuid.uuid4()), "name": "svc", "cluster_id": str(uuid.uuid4())},
        )
    back = [{"op": "replace", "path": "/name", "value": "named"}]
    refused = api.patch("/v1/volumes/renamed", back)
    assert refused.status_code == 409
    assert "container(s) svc on a cluster mount it by name" in _error(refused)["detail"]
    assert api.get(f"/v1/volumes/{made['uuid']}").json()["name"] == "renamed"


def test_delete_frees_the_image(api: Api) -> None:
    made = _create(api, name="gone")
    driver = api.runtime.volume_drivers.get("local")
    path = driver.store.image_path(made["uuid"])  # type: ignore[attr-defined]
    assert os.path.exists(path)
    assert api.delete("/v1/volumes/gone").status_code == 204
    assert not os.path.exists(path)
    assert api.get(f"/v1/volumes/{made['uuid']}").status_code == 404
    assert api.delete("/v1/volumes/gone").status_code == 404


def test_policy_reader_cannot_create_or_delete(api: Api) -> None:
    _create(api, name="mine")
    assert api.post("/v1/volumes", {"size": 1}, headers=READER).status_code == 403
    assert api.delete("/v1/volumes/mine", headers=READER).status_code == 403
    assert api.get("/v1/volumes/mine", headers=READER).status_code == 200


def test_quota_is_403(tmp_path: Any, sqlite_url: str) -> None:
    rt = make_runtime(tmp_path, sqlite_url, {"volume": {"max_volumes_per_project": 1}})
    with running_api(rt) as api:
        _create(api)
        over = api.post("/v1/volumes", {"size": 1})
        assert over.status_code == 403
        assert "maximum volumes per project, 1" in _error(over)["detail"]


def test_disabled_driver_is_400(tmp_path: Any, sqlite_url: str) -> None:
    rt = make_runtime(tmp_path, sqlite_url, {"volume": {"enabled_drivers": ["local"]}})
    with running_api(rt) as api:
        response = api.post("/v1/volumes", {"size": 1, "volume_driver": "cinder"})
        assert response.status_code == 400
        assert "Enabled volume drivers: local" in _error(response)["detail"]


ENGINE = EngineSocket(path="/nonexistent/dockyard.sock", engine="host:functional")


@needs_mount
def test_attached_volume_cannot_be_deleted_or_shrunk_and_keeps_its_data(api: Api) -> None:
    made = _create(api, name="busy")
    mountpoint = volume_plugin.mount(api.runtime, ENGINE, made["uuid"], "mount-1")
    try:
        with open(os.path.join(mountpoint, "f"), "w") as handle:
            handle.write("data")
        shown = api.get("/v1/volumes/busy").json()
        assert shown["status"] == "in-use"
        assert [(a["engine"], a["mount_id"]) for a in shown["attachments"]] == [
            ("host:functional", "mount-1")
        ]
        assert shown["attachment_count"] == 1
        listed = api.get("/v1/volumes").json()["volumes"]
        assert [(v["name"], v["attachment_count"]) for v in listed] == [("busy", 1)]
        response = api.delete("/v1/volumes/busy")
        assert response.status_code == 409
        assert "is attached (1 mount(s) on host:functional)" in _error(response)["detail"]
        with open(os.path.join(mountpoint, "f")) as handle:
            assert handle.read() == "data"
        # Another engine may not mount a volume that is not multiattach.
        other = EngineSocket(path="/nonexistent/2.sock", engine="host:other")
        with pytest.raises(volume_plugin.PluginRefused, match="mounted by host:functional"):
            volume_plugin.mount(api.runtime, other, made["uuid"], "mount-2")
        # Unless it may preempt: it takes the volume over, and that is recorded.
        taker = EngineSocket(path="/nonexistent/3.sock", engine="host:taker", preempt=True)
        volume_plugin.mount(api.runtime, taker, made["uuid"], "mount-3")
        shown = api.get("/v1/volumes/busy").json()
        assert [a["engine"] for a in shown["attachments"]] == ["host:taker"]
        assert shown["status_reason"] == "taken over by host:taker from host:functional"
        volume_plugin.unmount(api.runtime, taker, made["uuid"], "mount-3")
    finally:
        volume_plugin.unmount(api.runtime, ENGINE, made["uuid"], "mount-1")
    try:
        assert api.get("/v1/volumes/busy").json()["status"] == "available"
        assert not os.path.ismount(mountpoint)
        assert api.delete("/v1/volumes/busy").status_code == 204
    finally:
        # The first mount made the volumes' root a shared bind mount of itself: undo it.
        assert volumes.release_host(api.runtime) == []


def _stuck(rt: Runtime, name: str, status: str) -> str:
    ctx = RequestContext(project_id="default", user_id="admin", roles=("admin",), is_admin=True)
    made = volumes.create(rt, ctx, size=1, name=name)
    with rt.db.write() as session:
        row = repo.lock(session, made.uuid)
        assert row is not None
        row.status = status
    return made.uuid


def test_recover_finishes_or_fails_interrupted_operations(runtime: Runtime) -> None:
    complete = _stuck(runtime, "complete", "creating")  # image made, record not updated
    half = _stuck(runtime, "half", "creating")
    driver = runtime.volume_drivers.get("local")
    image_of = driver.store.image_path  # type: ignore[attr-defined]
    os.unlink(image_of(half))  # the crash came before mkfs finished
    deleting = _stuck(runtime, "deleting", "deleting")
    reports = volumes.recover(runtime, grace=0)
    assert len(reports) == 3, reports
    with runtime.db.read() as session:
        assert repo.get(session, complete, None).status == "available"
        failed = repo.get(session, half, None)
        assert failed.status == "error" and "stopped while creating" in str(failed.status_reason)
        assert repo.find_by_name(session, "default", "deleting") is None
    assert not os.path.exists(image_of(deleting))
    # Newer than the grace: left to the process that may still be working on it.
    fresh = _stuck(runtime, "fresh", "creating")
    assert volumes.recover(runtime, grace=3600) == []
    with runtime.db.read() as session:
        assert repo.get(session, fresh, None).status == "creating"
