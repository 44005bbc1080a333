"""The container API on a REAL container host: a Dockyard-managed dockerd on this machine,
Dockyard's volume plugin serving it, loop-mounted local volumes.

One host per module (starting it takes about a second; each test cleans up after itself).
A test judges only the containers and volumes it made (`ours`): what another test left, or
has not cleaned up yet, is not its business.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, Server, make_runtime, running_api, start_server, subprocess_env
from harness.cli import OpenStackCli, Result
from harness.host import require_host
from harness.notifications import Collector, check_cadf, listening, new_topic, notifier_overrides
from local_host import wait_for

from dockyard.api.docker_plugin.server import PluginSockets
from dockyard.db.repositories import containers as container_repo
from dockyard.providers.block_local import loop
from dockyard.providers.docker_local.host_engine import HostEngine, HostEngineSettings
from dockyard.services import container_hosts, containers
from dockyard.services.runtime import Runtime

pytestmark = require_host("root", "docker")

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
def notifications() -> Iterator[tuple[str, Collector]]:
    """A listener on the machine's RabbitMQ for what the module's Dockyard sends."""
    topic = new_topic()
    with listening(topic) as collector:
        yield topic, collector


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, notifications: tuple[str, Collector]
) -> Iterator[Api]:
    base = tmp_path_factory.mktemp("containers")
    overrides = {**_overrides(base), **notifier_overrides(notifications[0])}
    runtime = make_runtime(base, f"sqlite:///{base / 'dockyard.sqlite'}", overrides)
    plugin = PluginSockets(runtime, interval=0.5)
    plugin.start()
    try:
        with running_api(runtime) as client:
            yield client
    finally:
        plugin.stop()
        # The product's undo: containers, the engine, its volume mounts, the shared root.
        assert container_hosts.destroy(runtime, force=True) == []


def engine_containers(rt: Runtime) -> list[Any]:
    return engine_containers_at(container_hosts.engine(rt))


def ours(found: list[Any], *made: dict[str, Any]) -> list[str]:
    """The engine names in `found` (engine containers) of the containers `made` (API bodies)."""
    names = {containers.engine_name(m["uuid"]) for m in made}
    return sorted(c.name for c in found if c.name in names)


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
    assert ours(engine_containers(api.runtime), writer) == []
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
    a = create(api, name="a", mounts=mount, command="sh -c 'echo from-a > /s/a; exec sleep 300'")
    b = create(
        api, name="b", mounts=mount,
        command="sh -c 'until [ -f /s/a ]; do sleep 0.1; done; cat /s/a; echo from-b > /s/b; "
        "exec sleep 300'",
    )  # fmt: skip
    wait_for(lambda: "from-a" in logs(api, "b"), 20, "b to read what a wrote")
    c = create(api, name="c", mounts=mount, command="cat /s/b")
    wait_status(api, "c", "Stopped")
    assert logs(api, "c") == "from-b\n"
    # In use: the volume cannot go, and nothing is lost by trying.
    refused = api.delete("/v1/volumes/shared")
    assert refused.status_code == 409, refused.text
    for name in ("a", "b"):
        delete(api, name, force=True)
    delete(api, "c")
    assert ours(engine_containers(api.runtime), a, b, c) == []
    wait_for(lambda: api.get("/v1/volumes/shared").json()["status"] == "available", 10, "detach")
    assert api.delete("/v1/volumes/shared").status_code == 204


def test_logs_stop_start_and_delete_rules(api: Api) -> None:
    made = create(api, name="loop", command=["sh", "-c", "echo started; exec sleep 300"])
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
    assert ours(engine_containers(api.runtime), made) == []


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
    assert [c["uuid"] for c in listed if c["name"] == "env"] == [made["uuid"]]
    delete(api, "env")


def test_unknown_image_is_400_and_says_why(api: Api) -> None:
    response = api.post("/v1/containers", {"name": "x", "image": "nginx:latest"})
    assert response.status_code == 400, response.text
    detail = response.json()["errors"][0]["detail"]
    assert "nginx:latest is not on the container host" in detail
    assert "no registry is reachable" in detail
    listed = api.get("/v1/containers").json()["containers"]
    assert "x" not in {c["name"] for c in listed}


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


def test_containers_reach_each_other_without_firewall_rules(api: Api) -> None:
    # The host's dockerd runs with iptables off (a faster start): docker0 alone connects its
    # containers, and no rule is written into the namespace.
    server = create(api, name="srv", command="sh -c 'echo hello | nc -l -p 7000'")
    engine_api = container_hosts.engine(api.runtime).client()
    try:
        found = engine_api.containers.get(containers.engine_name(server["uuid"]))
        address = found.attrs["NetworkSettings"]["IPAddress"]
    finally:
        engine_api.close()
    create(api, name="cli", command=f"nc -w 2 {address} 7000")
    wait_status(api, "cli", "Stopped")
    assert logs(api, "cli") == "hello\n"
    netns = container_hosts.engine(api.runtime).netns
    rules = subprocess.run(
        ["ip", "netns", "exec", netns, "iptables", "-S"], capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    assert "DOCKER" not in rules, rules
    delete(api, "cli")
    delete(api, "srv", force=True)


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
    half = {"uuid": "0a1b2c3d-0000-4000-8000-000000000001"}
    mine = (survivor, left, half)
    assert ours(engine_containers(rt), *mine) == [containers.engine_name(survivor["uuid"])]
    # The survivor runs again from the same data-root.
    assert api.post("/v1/containers/survivor/start").json()["status"] == "Running"
    delete(api, "survivor", force=True)
    delete(api, "half-created")
    assert ours(engine_containers(rt), *mine) == []


def test_create_and_delete_notifications_reach_rabbitmq(
    api: Api, notifications: tuple[str, Collector]
) -> None:
    collector = notifications[1]
    good = create(api, name="noted", command="true", start=False)
    # The engine refuses to start a command the image does not have: the create fails.
    bad = api.post("/v1/containers", {"name": "refused", "command": "no-such-program"})
    assert bad.status_code == 201, bad.text
    assert bad.json()["status"] == "Error", bad.json()
    for name in ("noted", "refused"):
        delete(api, name)

    cases = ((good["uuid"], "success", "INFO"), (bad.json()["uuid"], "failure", "ERROR"))
    received = collector.collect(8, "dockyard.container.", [c[0] for c in cases])
    for container, outcome, priority in cases:
        got = [item for item in received if item[2]["target"]["id"] == container]
        assert [(p, kind, e["outcome"]) for p, kind, e in got] == [
            ("INFO", "dockyard.container.create", "pending"),
            (priority, "dockyard.container.create", outcome),
            ("INFO", "dockyard.container.delete", "pending"),
            ("INFO", "dockyard.container.delete", "success"),
        ]
        for _, kind, payload in got:
            check_cadf(
                payload, target_id=container, target_type="service/dockyard/container",
                outcome=payload["outcome"], action=kind.rsplit(".", 1)[1],
            )  # fmt: skip
            (attachment,) = payload["attachments"]
            assert attachment["name"] == "container_data"
        final = got[1][2]["attachments"][0]["content"]
        if outcome == "failure":
            assert final["status"] == "Error" and "no-such-program" in final["status_reason"]
        else:
            assert final["status"] == "Created"


@dataclass
class DockyardProcess:
    """The real `dockyard` (embedded default), restartable on one port, with its own host."""

    tmp: Path
    sections: dict[str, dict[str, Any]]
    engine: HostEngine
    server: Server
    cli: OpenStackCli

    @property
    def port(self) -> int:
        return int(self.server.url.rsplit(":", 1)[1])

    def kill(self) -> None:
        """SIGKILL: nothing of Dockyard shuts down cleanly (a crash)."""
        self.server.process.kill()
        self.server.process.wait(10)

    def start(self) -> None:
        """Start `dockyard` again, on the same port and configuration."""
        self.server = start_server(self.tmp, "dockyard", self.sections, port=self.port)

    def coe(self, *args: str, ok: bool = True) -> Result:
        base = ("--os-auth-type", "none", "--os-endpoint", f"{self.server.url}/v1", "coe")
        return self.cli.run(*base, *args, ok=ok)

    def json(self, *args: str) -> Any:
        return json.loads(self.coe(*args, "-f", "json").out)

    @property
    def volumes_root(self) -> Path:
        return Path(self.sections["volume"]["local_root"])


@pytest.fixture(scope="module")
def dockyard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockyardProcess]:
    """`dockyard` as README command 1 runs it, with a container host of its own."""
    tmp = tmp_path_factory.mktemp("dockyard")
    sections = _overrides(tmp)
    sections["containers"]["host_name"] = f"r{SHORT}"
    sections["containers"]["run_dir"] = f"/run/dyr{SHORT}"
    options = sections["containers"]
    engine = HostEngine(
        HostEngineSettings(options["host_name"], options["state_dir"], options["run_dir"])
    )
    server = start_server(tmp, "dockyard", sections)
    process = DockyardProcess(tmp, sections, engine, server, OpenStackCli({}, subprocess_env()))
    try:
        yield process
    finally:
        process.server.stop()
        # What an operator runs to remove the host for good.
        manage = subprocess.run(
            [str(Path(sys.executable).parent / "dockyard-manage"), "--config-file",
             str(process.server.config), "container-host", "destroy", "--force"],
            capture_output=True, text=True, env=subprocess_env(), timeout=120,
        )  # fmt: skip
        assert manage.returncode == 0, manage.stdout + manage.stderr
        assert not engine.exists()


def test_cli_and_a_restarted_dockyard(dockyard: DockyardProcess) -> None:
    """The real `openstack coe container` commands: create, list, show, logs, stop, start;
    then Dockyard stops, the host's dockerd is killed (a machine restart), Dockyard starts
    again and brings the host back; delete."""
    made = dockyard.json(
        "container", "create", "keep", "--command", "sh -c 'echo $WHO; exec sleep 300'",
        "--env", "WHO=cli",
    )  # fmt: skip
    assert made["status"] == "Running", made
    listed = dockyard.json("container", "list")
    assert [(c["uuid"], c["status"]) for c in listed if c["name"] == "keep"] == [
        (made["uuid"], "Running")
    ]
    wait_for(lambda: dockyard.coe("container", "logs", "keep").out == "cli\n", 10, "the output")
    failed = dockyard.coe("container", "delete", "keep", ok=False)
    assert failed.rc != 0 and "stop it, or delete with force=true" in failed.text
    bad = dockyard.coe("container", "create", "x", "--image", "nosuch:1", ok=False)
    assert bad.rc != 0 and "no registry is reachable" in bad.text, bad.text
    assert dockyard.json("container", "stop", "keep")["status"] == "Stopped"
    assert dockyard.json("container", "start", "keep")["status"] == "Running"

    dockyard.server.stop()
    pid = dockyard.engine.status().pid
    assert pid is not None, "the host outlives the process that started it"
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not dockyard.engine.status().running, 10, "dockerd to die")
    dockyard.start()
    wait_for(lambda: dockyard.engine.status().answers, 30, "the host to be started again")
    wait_for(
        lambda: dockyard.json("container", "show", "keep")["status"] == "Stopped", 30,
        "the status to follow",
    )  # fmt: skip
    assert dockyard.json("container", "start", "keep")["status"] == "Running"
    dockyard.coe("container", "delete", "keep", "--force")
    assert "keep" not in {c["name"] for c in dockyard.json("container", "list")}
    assert ours(engine_containers_at(dockyard.engine), made) == []


def test_sigkill_of_dockyard_while_a_volume_is_mounted_loses_nothing(
    dockyard: DockyardProcess,
) -> None:
    """Issue 6's crash acceptance, end to end: the whole `dockyard` process is killed -9
    while two containers use a volume, one of them goes while Dockyard is down (its Unmount
    cannot arrive); after the restart the data is intact and the attachments match what the
    engine reports; stop and delete free the volume, and deleting it frees its storage."""
    made = dockyard.json(
        "container", "create", "writer", "--vol-name", "crashvol", "--vol-size", "1",
        "--command", "sh -c 'echo before > /data/f; sync; exec sleep 600'",
    )  # fmt: skip
    assert made["status"] == "Running", made
    volume = dockyard.json("volume", "show", "crashvol")
    assert volume["status"] == "in-use", volume
    assert len(volume["attachments"]) == 1, volume
    image = dockyard.volumes_root / "images" / f"{volume['uuid']}.img"
    mountpoint = dockyard.volumes_root / "mnt" / volume["uuid"]
    engine_id = _engine_id(dockyard.engine, made["uuid"])
    leaver = dockyard.json(
        "container", "create", "leaver", "--mount", "source=crashvol,destination=/v",
        "--command", "sleep 600",
    )  # fmt: skip
    assert len(dockyard.json("volume", "show", "crashvol")["attachments"]) == 2

    dockyard.kill()
    # The writer goes on writing while Dockyard is down: into the volume, not beside it.
    assert _exec(dockyard.engine, made["uuid"], "echo during >> /data/f; sync")[0] == 0
    # The other container goes: Docker's Unmount cannot reach the plugin, the record is stale.
    _remove_from_engine(dockyard.engine, leaver["uuid"])
    assert os.path.ismount(mountpoint)

    dockyard.start()
    shown = dockyard.json("container", "show", "writer")
    assert shown["status"] == "Running", shown
    volume = dockyard.json("volume", "show", "crashvol")
    assert volume["status"] == "in-use", volume
    # Reconciled with the engine: one record, for the one container that still holds it.
    assert [(a["engine"], a["container_id"]) for a in volume["attachments"]] == [
        (f"host:r{SHORT}", engine_id)
    ], volume
    gone = dockyard.json("container", "show", "leaver")
    assert (gone["status"], gone["status_reason"]) == (
        "Error", "the container is gone from the container host",
    ), gone  # fmt: skip
    dockyard.coe("container", "delete", "leaver")
    _, out = _exec(dockyard.engine, made["uuid"], "grep ' /data ' /proc/mounts; cat /data/f")
    assert "/dev/loop" in out and " ext4 " in out and out.endswith("before\nduring\n"), out

    assert dockyard.json("container", "stop", "writer")["status"] == "Stopped"
    dockyard.coe("container", "delete", "writer")
    volume = dockyard.json("volume", "show", "crashvol")
    assert (volume["status"], volume["attachments"]) == ("available", []), volume
    assert not os.path.ismount(mountpoint)
    # A new container reads what the first one wrote, before and during the crash.
    reader = dockyard.json("container", "create", "reader", "--vol-name", "crashvol",
                           "--command", "cat /data/f")  # fmt: skip
    wait_for(
        lambda: dockyard.json("container", "show", "reader")["status"] == "Stopped", 20,
        "the reader to finish",
    )  # fmt: skip
    assert dockyard.coe("container", "logs", "reader").out == "before\nduring\n"
    dockyard.coe("container", "delete", "reader")

    dockyard.coe("volume", "delete", "crashvol")
    assert dockyard.coe("volume", "show", "crashvol", ok=False).rc != 0
    assert not image.exists()
    assert not mountpoint.exists()
    assert loop.devices(str(image)) == []
    assert ours(engine_containers_at(dockyard.engine), made, leaver, reader) == []


def _exec(engine: HostEngine, container_uuid: str, script: str) -> tuple[int, str]:
    """`docker exec` a shell script in a Dockyard container; (exit code, output)."""
    api = engine.client()
    try:
        found = api.containers.get(containers.engine_name(container_uuid))
        result = found.exec_run(["sh", "-c", script])
        return int(result.exit_code), bytes(result.output).decode()
    finally:
        api.close()


def _remove_from_engine(engine: HostEngine, container_uuid: str) -> None:
    """`docker rm -f` behind Dockyard's back."""
    api = engine.client()
    try:
        api.containers.get(containers.engine_name(container_uuid)).remove(force=True)
    finally:
        api.close()


def _engine_id(engine: HostEngine, container_uuid: str) -> str:
    api = engine.client()
    try:
        return str(api.containers.get(containers.engine_name(container_uuid)).id)
    finally:
        api.close()


def engine_containers_at(engine: HostEngine) -> list[Any]:
    api = engine.client()
    try:
        return list(api.containers.list(all=True, filters={"label": containers.LABEL}))
    finally:
        api.close()
