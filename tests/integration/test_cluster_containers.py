"""The container API on a REAL local Swarm cluster: `POST /v1/containers` with `cluster`.

A real `dockyard` process (API, conductor, volume plugin) builds one 1-master + 1-worker
cluster from a template with `volume_driver = rexray` and TLS. Containers created with
`cluster` become one-replica swarm services, made through the cluster's API address with the
cluster's admin certificate. A container writes to a Dockyard volume, shows its logs, is
stopped and started, deleted, and a second container reads the data back; nothing stays
mounted. Needs root and docker.io (scripts/install-docker); skips otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, make_runtime, start_server, subprocess_env
from harness.cli import OpenStackCli
from harness.host import require_host
from local_host import free_test_pool, remove_clusters, wait_for

from dockyard.db.repositories import containers as container_repo
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.services import containers

pytestmark = require_host("root", "docker")

CLUSTER = "boats"
WRITER = "hostname >> /data/who; echo written; trap 'exit 0' TERM; while :; do sleep 1; done"


class World:
    def __init__(self, server: Server, settings: LocalSettings, tmp: Path) -> None:
        self.server, self.settings, self.tmp = server, settings, tmp
        self.volumes = tmp / "state" / "volumes"
        self.cluster: dict[str, Any] = {}

    def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(method, f"{self.server.url}{path}", json=body, headers=LATEST,
                             timeout=90)  # fmt: skip

    def container(self, name: str) -> dict[str, Any]:
        response = self.request("GET", f"/v1/containers/{name}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_container(self, name: str, status: str, timeout: float = 30) -> dict[str, Any]:
        return dict(wait_for(lambda: (c := self.container(name))["status"] == status and c,
                             timeout, f"container {name} {status}"))  # fmt: skip

    def logs(self, name: str) -> str:
        response = self.request("GET", f"/v1/containers/{name}/logs")
        assert response.status_code == 200, response.text
        return str(response.json()["logs"])

    def volume(self, name: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/volumes/{name}").json())

    def docker(self, *args: str) -> str:
        """The docker CLI on the manager's unix socket (the test's own look at the swarm)."""
        state = json.loads((Path(self.settings.state_dir) / "clusters" / self.cluster["uuid"]
                            / "state.json").read_text())  # fmt: skip
        sock = Path(self.settings.run_dir) / state["key"] / "m0" / "docker.sock"
        proc = subprocess.run(["docker", "-H", f"unix://{sock}", *args], capture_output=True,
                              text=True, timeout=60, env={"PATH": os.environ["PATH"]})  # fmt: skip
        assert proc.returncode == 0, f"docker {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def services(self) -> list[str]:
        return sorted(self.docker("service", "ls", "--format", "{{.Name}}").split())

    def services_of(self, *uuids: str) -> list[str]:
        """The swarm services of these containers (a test judges only what it made)."""
        names = {f"dockyard-{uuid}" for uuid in uuids}
        return [name for name in self.services() if name in names]


def mounts_below(directory: Path) -> list[str]:
    prefix = str(directory) + "/"
    found = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [target for target in found if target.startswith(prefix)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("cluster-containers")
    pool = free_test_pool()
    run_dir = f"/run/dycc-{os.getpid()}"
    # The health check makes each node load the plugin (swarm schedules on that).
    sections: dict[str, dict[str, Any]] = {
        "local_driver": {"address_pool": pool, "run_dir": run_dir},
        "conductor": {"health_sync_interval": 1},
        "containers": {"stop_timeout": 2},
    }
    server = start_server(tmp, sections=sections)
    settings = LocalSettings(
        state_dir=str(tmp / "state" / "local_driver"), run_dir=run_dir, address_pool=pool
    )
    made = World(server, settings, tmp)
    try:
        template = made.request("POST", "/v1/clustertemplates", {
            "name": "rexray", "coe": "swarm-mode", "image_id": "dockyard-node",
            "external_network_id": "public", "volume_driver": "rexray",
        })  # fmt: skip
        assert template.status_code == 201, template.text
        cluster = made.request("POST", "/v1/clusters", {
            "name": CLUSTER, "cluster_template_id": "rexray", "node_count": 1,
        })  # fmt: skip
        assert cluster.status_code == 202, cluster.text
        made.cluster = wait_for(
            lambda: (c := made.request("GET", f"/v1/clusters/{CLUSTER}").json()).get("status")
            == "CREATE_COMPLETE" and c, 90, "the cluster CREATE_COMPLETE",
        )  # fmt: skip
        yield made
    finally:
        for name in ("writer", "reader", "broken", "kept", "doomed", "half-created"):
            with contextlib.suppress(httpx.HTTPError):
                made.request("DELETE", f"/v1/containers/{name}?force=true")
        with contextlib.suppress(AssertionError):
            wait_for(lambda: not mounts_below(made.volumes / "mnt"), 30, "volumes unmounted")
        left_mounted = mounts_below(made.volumes / "mnt")
        made.request("DELETE", f"/v1/clusters/{CLUSTER}")
        with contextlib.suppress(AssertionError):
            wait_for(lambda: made.request("GET", f"/v1/clusters/{CLUSTER}").status_code == 404,
                     60, "the cluster deleted")  # fmt: skip
        server.stop()
        remove_clusters(settings)
        for target in sorted(mounts_below(tmp / "state"), reverse=True):  # whatever is left
            subprocess.run(["umount", "-l", target], capture_output=True, check=False)
        # The volume root's shared bind mount is kept for good by the plugin; it is the test's.
        subprocess.run(["umount", "-l", str(made.volumes)], capture_output=True, check=False)
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True, check=False)
    assert left_mounted == [], f"volumes still mounted after their containers went: {left_mounted}"


def test_a_container_with_a_volume_runs_stops_starts_and_its_data_outlives_it(
    world: World,
) -> None:
    made = world.request("POST", "/v1/containers", {
        "name": "writer", "cluster": CLUSTER, "vol_name": "data", "vol_size": 1,
        "command": ["sh", "-c", WRITER],
    })  # fmt: skip
    assert made.status_code == 201, made.text
    writer = made.json()
    assert writer["cluster_id"] == world.cluster["uuid"] and writer["host"] is None
    assert writer["status"] == "Running", writer
    assert writer["status_reason"].startswith("running on "), writer
    # A one-replica swarm service, dnsrr, on the image's ID (no pull), with the volume by name.
    spec = json.loads(world.docker("service", "inspect", f"dockyard-{writer['uuid']}"))[0]["Spec"]
    assert spec["EndpointSpec"]["Mode"] == "dnsrr"
    assert spec["TaskTemplate"]["ContainerSpec"]["Image"].startswith("sha256:")
    (mount,) = spec["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert (mount["Source"], mount["VolumeOptions"]["DriverConfig"]["Name"]) == ("data", "dockyard")
    wait_for(lambda: "written" in world.logs("writer"), 20, "the writer's output")
    volume = world.volume("data")
    assert volume["status"] == "in-use", volume
    assert volume["attachments"][0]["engine"].startswith(f"cluster:{world.cluster['uuid']}/")

    refused = world.request("DELETE", "/v1/containers/writer")
    assert refused.status_code == 409 and "force=true" in refused.text
    stopped = world.request("POST", "/v1/containers/writer/stop")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status"] == "Stopped", stopped.json()
    wait_for(lambda: world.volume("data")["status"] == "available", 20, "the volume released")
    # Swarm removes a scaled-down task with its container; the container stays Stopped.
    service = f"dockyard-{writer['uuid']}"
    wait_for(lambda: world.docker("service", "ps", "-q", service) == "", 20, "the task removed")
    assert world.container("writer")["status"] == "Stopped"
    assert world.request("POST", "/v1/containers/writer/stop").status_code == 409
    started = world.request("POST", "/v1/containers/writer/start")
    assert started.status_code == 200 and started.json()["status"] == "Running", started.text
    # A start is a new task: it writes again, on the same volume (its logs are its own).
    wait_for(lambda: world.logs("writer") == "written\n", 20, "the second task's output")
    listed = world.request("GET", "/v1/containers").json()["containers"]
    assert [c["status"] for c in listed if c["uuid"] == writer["uuid"]] == ["Running"]

    gone = world.request("DELETE", "/v1/containers/writer?force=true")
    assert gone.status_code == 204, gone.text
    assert world.request("GET", "/v1/containers/writer").status_code == 404
    assert world.services_of(writer["uuid"]) == []
    wait_for(lambda: world.volume("data")["status"] == "available", 20, "the volume released")

    # Approach 2: the volume exists, so the next container attaches it and reads both lines.
    made = world.request("POST", "/v1/containers", {
        "name": "reader", "cluster": CLUSTER, "vol_name": "data", "command": "cat /data/who",
    })  # fmt: skip
    assert made.status_code == 201, made.text
    reader = world.wait_container("reader", "Stopped")
    assert reader["status_reason"] == "exited with code 0", reader
    lines = world.logs("reader").split()
    assert len(set(lines)) == 2, lines  # one line from each task (the container's hostname)
    assert world.request("DELETE", "/v1/containers/reader").status_code == 204
    assert world.services_of(reader["uuid"]) == []
    wait_for(lambda: world.volume("data")["status"] == "available", 20, "the volume released")
    assert world.request("DELETE", "/v1/volumes/data").status_code == 204


def test_a_command_the_image_lacks_ends_in_error_with_the_reason(world: World) -> None:
    made = world.request("POST", "/v1/containers", {
        "name": "broken", "cluster": CLUSTER, "command": "no-such-program",
    })  # fmt: skip
    assert made.status_code == 201, made.text
    broken = made.json()
    assert broken["status"] == "Error" and "no-such-program" in broken["status_reason"], broken
    assert world.request("DELETE", "/v1/containers/broken").status_code == 204
    assert world.services_of(broken["uuid"]) == []


def test_the_openstack_client_runs_a_container_on_the_cluster(world: World) -> None:
    cli = OpenStackCli({}, subprocess_env())
    base = ("--os-auth-type", "none", "--os-endpoint", f"{world.server.url}/v1", "coe")
    shown = cli.json(*base, "container", "create", "by-cli", "--cluster", CLUSTER,
                     "--command", "sleep 300", "-f", "json")  # fmt: skip
    assert shown["status"] == "Running", shown
    assert shown["cluster_id"] == world.request("GET", f"/v1/clusters/{CLUSTER}").json()["uuid"]
    cli.run(*base, "container", "delete", "by-cli", "--force")
    assert world.request("GET", "/v1/containers/by-cli").status_code == 404
    assert world.services_of(shown["uuid"]) == []


def test_an_image_the_cluster_lacks_is_400_and_nothing_is_made(world: World) -> None:
    before = world.services()
    response = world.request("POST", "/v1/containers", {
        "name": "nginx", "cluster": CLUSTER, "image": "nginx:latest",
    })  # fmt: skip
    assert response.status_code == 400, response.text
    assert f"nginx:latest is not on cluster {CLUSTER}" in response.json()["errors"][0]["detail"]
    listed = world.request("GET", "/v1/containers").json()["containers"]
    assert "nginx" not in {c["name"] for c in listed}
    assert world.services() == before


def test_the_admin_key_never_reaches_the_log(world: World) -> None:
    log = world.server.log.read_text()
    assert "PRIVATE KEY" not in log


def test_requests_a_crash_interrupted_are_settled_at_start(world: World) -> None:
    uuids = ["0a1b2c3d-0000-4000-8000-0000000000c1"]  # half-created, below
    for name in ("kept", "doomed"):
        made = world.request("POST", "/v1/containers",
                             {"name": name, "cluster": CLUSTER, "start": False})  # fmt: skip
        assert made.status_code == 201 and made.json()["status"] == "Created", made.text
        uuids.append(made.json()["uuid"])
    assert world.container("kept")["status_reason"] == "not started"
    # What a crash leaves, written into the server's database: a create whose service was
    # made, a delete half done, a create that never reached the cluster.
    rt = make_runtime(world.tmp, f"sqlite:///{world.tmp / 'state' / 'dockyard.sqlite'}")
    with rt.db.write() as session:
        container_repo.get(session, "kept", None).status = "Creating"
        container_repo.get(session, "doomed", None).status = "Deleting"
        container_repo.add(
            session,
            {"uuid": "0a1b2c3d-0000-4000-8000-0000000000c1", "name": "half-created",
             "project_id": "default", "user_id": "admin", "image": "dockyard/busybox:1",
             "status": "Creating", "cluster_id": world.cluster["uuid"]},
        )  # fmt: skip
    reports = containers.resume(rt)  # what a Dockyard process does when it starts
    assert len(reports) == 3, reports
    kept = world.container("kept")
    assert (kept["status"], kept["status_reason"]) == (
        "Created", "not started (found after a restart)"
    )  # fmt: skip
    assert world.request("GET", "/v1/containers/doomed").status_code == 404
    half = world.container("half-created")
    assert half["status"] == "Error" and "interrupted" in half["status_reason"], half
    assert world.services_of(*uuids) == [f"dockyard-{kept['uuid']}"]
    for name in ("kept", "half-created"):
        assert world.request("DELETE", f"/v1/containers/{name}").status_code == 204
    assert world.services_of(*uuids) == []
    rt.db.dispose()
