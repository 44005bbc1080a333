"""rexray volumes in local clusters: Dockyard's volume plugin in every node, for real.

A real `dockyard` process (API, conductor, volume plugin) makes two 1-master + 2-worker
clusters from templates with `volume_driver = rexray`, one with `rexray_preempt=false` and
one with `true`. Each node finds the plugin in its private plugin dir. A swarm service writes
to a `volume-driver=dockyard` volume; while its task holds the volume, another node of the
preempt=false cluster is refused it; after its node is drained the task runs on the other
worker and reads what the first wrote. In the preempt=true cluster a second node takes the
volume over. The docker CLI talks to the nodes' unix sockets (TLS is tested elsewhere).
Needs root and docker.io (scripts/install-docker); skips otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, start_server
from harness.host import require_host
from local_host import free_test_pool, remove_clusters, wait_for

from dockyard.drivers.swarm_local.settings import LocalSettings

pytestmark = require_host("root", "docker")

WRITER = "hostname >> /data/log; while :; do sleep 1; done"


class World:
    def __init__(self, server: Server, settings: LocalSettings) -> None:
        self.server, self.settings = server, settings
        self.uuids: dict[str, str] = {}

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.server.url}{path}", json=body, headers=LATEST, timeout=30)
        assert response.status_code in (201, 202), response.text
        return response.json()

    def status(self, name: str) -> dict[str, Any]:
        response = httpx.get(f"{self.server.url}/v1/clusters/{name}", headers=LATEST, timeout=30)
        return dict(response.json()) if response.status_code == 200 else {}

    def has_status(self, name: str, status: str | None) -> bool:
        """Whether cluster `name` is in `status` (None: gone)."""
        return self.status(name).get("status") == status

    def state(self, name: str) -> dict[str, Any]:
        path = Path(self.settings.state_dir) / "clusters" / self.uuids[name] / "state.json"
        return dict(json.loads(path.read_text()))

    def run(self, cluster: str, node: str, *args: str) -> subprocess.CompletedProcess[str]:
        """The docker CLI on one node's unix socket."""
        state = self.state(cluster)
        sock = Path(self.settings.run_dir) / state["key"] / node / "docker.sock"
        return subprocess.run(["docker", "-H", f"unix://{sock}", *args], capture_output=True,
                              text=True, timeout=60, env={"PATH": os.environ["PATH"]})  # fmt: skip

    def docker(self, cluster: str, node: str, *args: str) -> str:
        proc = self.run(cluster, node, *args)
        assert proc.returncode == 0, f"docker {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def task_node(self, cluster: str, service: str) -> str | None:
        """The hostname of the node whose task of `service` runs, if one does."""
        out = self.docker(cluster, "m0", "service", "ps", service, "--filter",
                          "desired-state=running", "--format",
                          "{{.Node}} {{.CurrentState}}")  # fmt: skip
        running = [line.split()[0] for line in out.splitlines() if " Running " in f" {line} "]
        return running[0] if running else None

    def node_name(self, cluster: str, hostname: str) -> str:
        return str(
            next(n["name"] for n in self.state(cluster)["nodes"] if n["hostname"] == hostname)
        )

    def read_log(self, cluster: str, service: str, hostname: str) -> list[str]:
        node = self.node_name(cluster, hostname)
        ids = self.docker(cluster, node, "ps", "-q", "--filter",
                          f"label=com.docker.swarm.service.name={service}").split()  # fmt: skip
        return self.docker(cluster, node, "exec", ids[0], "cat", "/data/log").split()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("local-volumes")
    pool = free_test_pool()
    run_dir = f"/run/dyv-{os.getpid()}"
    # The health check makes each node load the plugin (swarm schedules on that).
    sections: dict[str, dict[str, Any]] = {
        "local_driver": {"address_pool": pool, "run_dir": run_dir},
        "conductor": {"health_sync_interval": 1},
    }
    server = start_server(tmp, sections=sections)
    settings = LocalSettings(
        state_dir=str(tmp / "state" / "local_driver"), run_dir=run_dir, address_pool=pool
    )
    made = World(server, settings)
    try:
        for preempt in ("false", "true"):
            made.post("/v1/clustertemplates", {
                "name": f"rexray-{preempt}", "coe": "swarm-mode", "image_id": "dockyard-node",
                "external_network_id": "public", "volume_driver": "rexray",
                "labels": {"rexray_preempt": preempt},
            })  # fmt: skip
            name = f"v{preempt}"
            made.uuids[name] = made.post("/v1/clusters", {
                "name": name, "cluster_template_id": f"rexray-{preempt}", "node_count": 2,
            })["uuid"]  # fmt: skip
        for name in made.uuids:
            wait_for(partial(made.has_status, name, "CREATE_COMPLETE"), 120, f"{name} created")
        yield made
    finally:
        # Containers stop first, so every volume is unmounted through the plugin.
        with contextlib.suppress(Exception):
            made.docker("vfalse", "m0", "service", "rm", "db")
            w0 = next(n["name"] for n in made.state("vtrue")["nodes"] if n["role"] == "worker")
            made.docker("vtrue", w0, "rm", "-f", "holder")
        mnt = tmp / "state" / "volumes" / "mnt"
        with contextlib.suppress(AssertionError):
            wait_for(lambda: not mounts_below(mnt), 30, "volumes unmounted")
        left_mounted = mounts_below(mnt)
        for name in made.uuids:
            httpx.delete(f"{server.url}/v1/clusters/{name}", headers=LATEST, timeout=30)
        for name in made.uuids:
            wait_for(partial(made.has_status, name, None), 60, f"{name} deleted")
        server.stop()
        remove_clusters(settings)
        for target in sorted(mounts_below(tmp / "state"), reverse=True):  # whatever is left
            subprocess.run(["umount", "-l", target], capture_output=True, check=False)
        # The volume root's shared bind mount is kept for good by the plugin; it is the test's.
        subprocess.run(["umount", "-l", str(tmp / "state" / "volumes")], capture_output=True)
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True, check=False)
    assert left_mounted == [], (
        f"volumes still mounted after their containers stopped: {left_mounted}"
    )


def mounts_below(directory: Path) -> list[str]:
    prefix = str(directory) + "/"
    found = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [target for target in found if target.startswith(prefix)]


def test_every_node_finds_the_plugin(world: World) -> None:
    for name in world.uuids:
        state = world.state(name)
        for node in state["nodes"]:
            sock = Path(world.settings.run_dir) / state["key"] / "plugins" / node["name"]
            wait_for((sock / "dockyard.sock").exists, 10, f"{sock}/dockyard.sock")


def test_data_follows_the_task_and_preempt_false_locks_the_volume(world: World) -> None:
    image = world.state("vfalse")["image_id"]
    world.docker("vfalse", "m0", "service", "create", "--detach", "--name", "db",
                 "--constraint", "node.role==worker", "--hostname", "{{.Node.Hostname}}",
                 "--mount", "type=volume,source=data,target=/data,volume-driver=dockyard",
                 image, "sh", "-c", WRITER)  # fmt: skip
    try:
        first = wait_for(lambda: world.task_node("vfalse", "db"), 90, "db running")
    except AssertionError:
        tasks = world.docker("vfalse", "m0", "service", "ps", "db", "--no-trunc")
        raise AssertionError(f"db never ran: {tasks}") from None
    assert world.read_log("vfalse", "db", first) == [first]
    other = next(n["hostname"] for n in world.state("vfalse")["nodes"]
                 if n["role"] == "worker" and n["hostname"] != first)  # fmt: skip
    refused = world.run("vfalse", world.node_name("vfalse", other), "run", "--rm",
                        "--volume-driver", "dockyard", "-v", "data:/data", image,
                        "cat", "/data/log")  # fmt: skip
    assert refused.returncode != 0 and first not in refused.stdout, refused
    print(f"preempt=false refused the second node: {refused.stderr.strip()}")
    world.docker("vfalse", "m0", "node", "update", "--availability", "drain", first)
    moved = wait_for(lambda: (n := world.task_node("vfalse", "db")) != first and n, 60,
                     "db moved")  # fmt: skip
    assert moved == other
    wait_for(lambda: world.read_log("vfalse", "db", moved) == [first, moved], 20,
             "the moved task to read the first one's line and add its own")  # fmt: skip


def test_preempt_true_lets_another_node_take_the_volume(world: World) -> None:
    state = world.state("vtrue")
    image = state["image_id"]
    w0, w1 = [n["name"] for n in state["nodes"] if n["role"] == "worker"]
    world.docker("vtrue", w0, "run", "-d", "--name", "holder", "--volume-driver", "dockyard",
                 "-v", "shared:/data", image, "sh", "-c", WRITER)  # fmt: skip
    # The holder has the volume once its line is in the log (`run -d` returns before that).
    wait_for(lambda: world.run("vtrue", w0, "exec", "holder", "cat", "/data/log").stdout.strip(),
             30, "the holder's line in /data/log")  # fmt: skip
    taken = world.docker("vtrue", w1, "run", "--rm", "--volume-driver", "dockyard", "-v",
                         "shared:/data", image, "cat", "/data/log")  # fmt: skip
    assert len(taken.split()) == 1, taken  # the holder's line, read on the other node
