"""The container API on a REAL container host: a Dockyard-managed dockerd on this machine,
Dockyard's volume plugin serving it, loop-mounted local volumes.

One host per module (starting it takes about a second; each test cleans up after itself).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, make_runtime, running_api, start_server, subprocess_env
from harness.cli import OpenStackCli, Result
from local_host import host_problem, wait_for

from dockyard.api.docker_plugin.server import PluginSockets
from dockyard.db.repositories import containers as container_repo
from dockyard.providers.docker_local.commands import run, unmount_below
from dockyard.providers.docker_local.host_engine import HostEngine, HostEngineSettings
from dockyard.services import container_hosts, containers
from dockyard.services.runtime import Runtime

pytestmark = pytest.mark.skipif(host_problem() is not None, reason=str(host_problem()))

SHORT = f"{os.getpid() % 100000}"


def _overrides(base: Path) -> dict[str, dict[str, Any]]:
    return {
        "containers": {
            "host_name": f"t{SHORT}",
            "state_dir": str(base / "host"),
            "run_dir": f"/run/dyt{SHORT}",
            "stop_timeout": 2,
        },
        "volume": {"local_root": str(base / "volumes")},
    }


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    base = tmp_path_factory.mktemp("containers")
    runtime = make_runtime(base, f"sqlite:///{base / 'dockyard.sqlite'}", _overrides(base))
    plugin = PluginSockets(runtime, interval=0.5)
    plugin.start()
    try:
        with running_api(runtime) as client:
            yield client
    finally:
        plugin.stop()
        problems = container_hosts.engine(runtime).destroy()
        release_volumes_root(base / "volumes")
        assert problems == []


def release_volumes_root(root: Path) -> None:
    """Undo the shared bind mount of the volumes' root (and any volume a failed test left)."""
    unmount_below(str(root))
    run(["umount", "-l", str(root)], check=False)


def engine_containers(rt: Runtime) -> list[Any]:
    return engine_containers_at(container_hosts.engine(rt))


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/containers", body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    assert result["status"] != "Error", result
    return result


def wait_status(api: Api, ident: str, status: str, timeout: float = 20) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get(f"/v1/containers/{ident}").json()
        return body if body.get("status") == status else None

    result: dict[str, Any] = wait_for(reached, timeout, f"container {ident} to be {status}")
    return result


def logs(api: Api, ident: str) -> str:
    response = api.get(f"/v1/containers/{ident}/logs")
    assert response.status_code == 200, response.text
    return str(response.json()["logs"])


def delete(api: Api, ident: str, force: bool = False) -> None:
    response = api.delete(f"/v1/containers/{ident}" + ("?force=true" if force else ""))
    assert response.status_code == 204, response.text


def test_data_written_by_one_container_is_read_by_the_next(api: Api) -> None:
    # Seed 001, approach 1: vol_name does not exist, so it is created with vol_size.
    writer = create(
        api, name="writer", vol_name="data1", vol_size=1,
        command="sh -c 'grep \" /data \" /proc/mounts; echo hello > /data/file; sync'",
    )  # fmt: skip
    assert writer["mounts"][0]["type"] == "volume"
    done = wait_status(api, "writer", "Stopped")
    assert done["status_reason"] == "exited with code 0"
    # The container saw the volume's own filesystem, not the directory under it.
    mounted = logs(api, "writer")
    assert "ext4" in mounted and "/dev/loop" in mounted, mounted
    volume = api.get("/v1/volumes/data1").json()
    assert volume["size"] == 1 and volume["uuid"] == writer["mounts"][0]["source"]
    delete(api, "writer")
    assert api.get("/v1/containers/writer").status_code == 404
    assert engine_containers(api.runtime) == []
    # Approach 2: the volume exists, so it is attached.
    create(api, name="reader", vol_name="data1", command="cat /data/file")
    wait_status(api, "reader", "Stopped")
    assert logs(api, "reader") == "hello\n"
    delete(api, "reader")
    assert api.delete("/v1/volumes/data1").status_code == 204


def test_two_containers_share_one_volume(api: Api) -> None:
    made = api.post("/v1/volumes", {"name": "shared", "size": 1})
    assert made.status_code in (201, 202), made.text
    mount = [{"source": "shared", "destination": "/s"}]
    create(api, name="a", mounts=mount, command="sh -c 'echo from-a > /s/a; exec sleep 300'")
    create(
        api, name="b", mounts=mount,
        command="sh -c 'until [ -f /s/a ]; do sleep 0.1; done; cat /s/a; echo from-b > /s/b; "
        "exec sleep 300'",
    )  # fmt: skip
    wait_for(lambda: "from-a" in logs(api, "b"), 20, "b to read what a wrote")
    create(api, name="c", mounts=mount, command="cat /s/b")
    wait_status(api, "c", "Stopped")
    assert logs(api, "c") == "from-b\n"
    # In use: the volume cannot go, and nothing is lost by trying.
    refused = api.delete("/v1/volumes/shared")
    assert refused.status_code == 409, refused.text
    for name in ("a", "b"):
        delete(api, name, force=True)
    delete(api, "c")
    assert engine_containers(api.runtime) == []
    wait_for(lambda: api.get("/v1/volumes/shared").json()["status"] == "available", 10, "detach")
    assert api.delete("/v1/volumes/shared").status_code == 204


def test_logs_stop_start_and_delete_rules(api: Api) -> None:
    create(api, name="loop", command=["sh", "-c", "echo started; exec sleep 300"])
    wait_for(lambda: logs(api, "loop") == "started\n", 10, "the first output")
    running = api.get("/v1/containers/loop").json()
    assert running["status"] == "Running"
    # A running container is not deleted without force.
    refused = api.delete("/v1/containers/loop")
    assert refused.status_code == 409 and "force=true" in refused.text
    stopped = api.post("/v1/containers/loop/stop")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status"] == "Stopped"
    assert api.post("/v1/containers/loop/stop").status_code == 409
    started = api.post("/v1/containers/loop/start")
    assert started.status_code == 200 and started.json()["status"] == "Running", started.text
    wait_for(lambda: logs(api, "loop") == "started\nstarted\n", 10, "the second output")
    tail = api.get("/v1/containers/loop/logs?tail=1").json()["logs"]
    assert tail == "started\n"
    assert api.post("/v1/containers/loop/start").status_code == 409
    delete(api, "loop", force=True)
    assert engine_containers(api.runtime) == []


def test_environment_created_only_and_duplicates(api: Api) -> None:
    made = create(
        api, name="env", command=["sh", "-c", "echo $GREETING"], environment={"GREETING": "hi"},
        start=False,
    )  # fmt: skip
    assert made["status"] == "Created"
    again = api.post("/v1/containers", {"name": "env"})
    assert again.status_code == 409, again.text
    api.post("/v1/containers/env/start")
    wait_status(api, "env", "Stopped")
    assert logs(api, "env") == "hi\n"
    listed = api.get("/v1/containers").json()["containers"]
    assert [c["name"] for c in listed] == ["env"]
    delete(api, "env")


def test_unknown_image_is_400_and_says_why(api: Api) -> None:
    response = api.post("/v1/containers", {"name": "x", "image": "nginx:latest"})
    assert response.status_code == 400, response.text
    detail = response.json()["errors"][0]["detail"]
    assert "nginx:latest is not on the container host" in detail
    assert "no registry is reachable" in detail
    assert api.get("/v1/containers").json()["containers"] == []


def test_containers_reach_nothing_outside_their_host(api: Api) -> None:
    # 192.0.2.1 (TEST-NET-1) stands for any address beyond the host: the connection must fail
    # inside the host's namespace at once, with no route, not time out somewhere else.
    create(api, name="net", command="sh -c 'nc -w 2 192.0.2.1 80 </dev/null; echo end'")
    wait_status(api, "net", "Stopped")
    out = logs(api, "net")
    assert "Network is unreachable" in out, out
    delete(api, "net")
    netns = container_hosts.engine(api.runtime).netns
    routes = subprocess.run(
        ["ip", "-n", netns, "-4", "route", "show", "table", "all"], capture_output=True,
        text=True, check=True,
    ).stdout  # fmt: skip
    assert "default" not in routes, routes
    links = subprocess.run(
        ["ip", "-n", netns, "-br", "link"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert sorted(line.split()[0] for line in links if line.strip()) == ["docker0", "lo"], links


def test_resume_restarts_the_host_and_settles_interrupted_requests(api: Api) -> None:
    rt = api.runtime
    create(api, name="survivor", command=["sh", "-c", "echo up; exec sleep 300"])
    wait_status(api, "survivor", "Running")
    # What a crash leaves: a create that never reached the engine, a delete half done.
    left = create(api, name="half-deleted", command="true", start=False)
    with rt.db.write() as session:
        container_repo.get(session, "half-deleted", None).status = "Deleting"
        container_repo.add(
            session,
            {"uuid": "0a1b2c3d-0000-4000-8000-000000000001", "name": "half-created",
             "project_id": "default", "user_id": "admin", "image": "dockyard/busybox:1",
             "status": "Creating", "host": rt.conf.containers.host_name},
        )  # fmt: skip
    # The machine restarts: the engine dies with its containers.
    status = container_hosts.engine(rt).status()
    assert status.pid is not None
    os.kill(status.pid, signal.SIGKILL)
    wait_for(lambda: not container_hosts.engine(rt).status().running, 10, "dockerd to die")
    reports = containers.resume(rt)
    assert any("started again" in line for line in reports), reports
    assert container_hosts.engine(rt).status().answers
    survivor = api.get("/v1/containers/survivor").json()
    assert survivor["status"] == "Stopped", survivor
    created = api.get("/v1/containers/half-created").json()
    assert created["status"] == "Error" and "interrupted" in created["status_reason"]
    assert api.get(f"/v1/containers/{left['uuid']}").status_code == 404
    assert {c.name for c in engine_containers(rt)} == {containers.engine_name(survivor["uuid"])}
    # The survivor runs again from the same data-root.
    assert api.post("/v1/containers/survivor/start").json()["status"] == "Running"
    delete(api, "survivor", force=True)
    delete(api, "half-created")
    assert engine_containers(rt) == []


def test_cli_and_a_restarted_dockyard(tmp_path: Path) -> None:
    """The real `dockyard` process driven by the real `openstack coe container` commands:
    create, list, show, logs, stop, start; then Dockyard stops, the host's dockerd is killed
    (a machine restart), Dockyard starts again and brings the host back; delete."""
    sections = _overrides(tmp_path)
    sections["containers"]["host_name"] = f"r{SHORT}"
    sections["containers"]["run_dir"] = f"/run/dyr{SHORT}"
    options = sections["containers"]
    engine = HostEngine(
        HostEngineSettings(options["host_name"], options["state_dir"], options["run_dir"])
    )
    server = start_server(tmp_path, "dockyard", sections)
    cli = OpenStackCli({}, subprocess_env())

    def coe(*args: str, ok: bool = True) -> Result:
        base = ("--os-auth-type", "none", "--os-endpoint", f"{server.url}/v1", "coe")
        return cli.run(*base, *args, ok=ok)

    def show(name: str) -> dict[str, Any]:
        out = coe("container", "show", name, "-f", "json").out
        result: dict[str, Any] = json.loads(out)
        return result

    try:
        made = json.loads(
            coe("container", "create", "keep", "--command", "sh -c 'echo $WHO; exec sleep 300'",
                "--env", "WHO=cli", "-f", "json").out
        )  # fmt: skip
        assert made["status"] == "Running", made
        listed = json.loads(coe("container", "list", "-f", "json").out)
        assert [(c["name"], c["status"]) for c in listed] == [("keep", "Running")]
        wait_for(lambda: coe("container", "logs", "keep").out == "cli\n", 10, "the output")
        failed = coe("container", "delete", "keep", ok=False)
        assert failed.rc != 0 and "stop it, or delete with force=true" in failed.text
        bad = coe("container", "create", "x", "--image", "nosuch:1", ok=False)
        assert bad.rc != 0 and "no registry is reachable" in bad.text, bad.text
        assert json.loads(coe("container", "stop", "keep", "-f", "json").out)["status"] == "Stopped"
        assert (
            json.loads(coe("container", "start", "keep", "-f", "json").out)["status"] == "Running"
        )

        server.stop()
        pid = engine.status().pid
        assert pid is not None, "the host outlives the process that started it"
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not engine.status().running, 10, "dockerd to die")
        server = start_server(tmp_path, "dockyard", sections)
        wait_for(lambda: engine.status().answers, 30, "the host to be started again")
        wait_for(lambda: show("keep")["status"] == "Stopped", 30, "the status to follow")
        assert (
            json.loads(coe("container", "start", "keep", "-f", "json").out)["status"] == "Running"
        )
        coe("container", "delete", "keep", "--force")
        assert coe("container", "list", "-f", "json").out.strip() == "[]"
        assert engine_containers_at(engine) == []
    finally:
        server.stop()
        problems = engine.destroy()
        release_volumes_root(tmp_path / "volumes")
        assert problems == []


def engine_containers_at(engine: HostEngine) -> list[Any]:
    api = engine.client()
    try:
        return list(api.containers.list(all=True, filters={"label": containers.LABEL}))
    finally:
        api.close()
