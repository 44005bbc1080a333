"""Issue 17's acceptance: the real `openstack coe` client 5.0 manages nodegroups of a real
local swarm cluster served by a real `dockyard` process, and the docker CLI sees the result.

One story, one test (`test_a_pools_life`), on a TLS-disabled cluster (1 master, 1 worker) of
its own: `nodegroup create` of a labelled pool, `docker node ls --filter node.label=...`, a
service placed on the pool by a constraint, `nodegroup update` of its node labels, `cluster
resize --nodegroup` inside and outside min/max, refusals in Magnum's shape, `nodegroup delete`
(drained first, nothing of its nodes left on the host), and the cluster's delete. The steps
cannot stand alone: each acts on the pool as the step before left it (the relabel and the
resize on the nodes the create made, the delete must drain the service the placement step
started on the resized pool), and a cluster with a pool of real nodes per step would multiply
the module's time.

Needs root and Debian's docker.io (scripts/install-docker); skips otherwise (fails under
CI=true). Traffic goes to 127.0.0.1 and to the namespaces these tests create, on an address
pool of the tests' own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, start_server, subprocess_env
from harness.host import require_host
from harness.waiting import wait_until
from local_host import DockerCli, free_test_pool, leftovers, remove_clusters, sh, wait_for

from dockyard.drivers.swarm_local.layout import cluster_key
from dockyard.drivers.swarm_local.settings import LocalSettings

pytestmark = [pytest.mark.client, require_host("root", "docker")]

OPENSTACK = str(Path(sys.executable).parent / "openstack")
SERVICE_CMD = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
POOL_LABEL = "magnum.openstack.org/nodegroup=pool"


@dataclass
class World:
    tmp: Path
    settings: LocalSettings
    server: Server
    cluster: str = ""
    docker: DockerCli | None = None

    def coe(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in subprocess_env().items() if not k.startswith("OS_")}
        command = [OPENSTACK, "--os-auth-type", "none", "--os-endpoint", f"{self.server.url}/v1"]
        proc = subprocess.run(
            [*command, "coe", *args], capture_output=True, text=True, env=env, timeout=180
        )
        if ok:
            assert proc.returncode == 0, f"coe {' '.join(args)}: {proc.stdout}{proc.stderr}"
        return proc

    def coe_json(self, *args: str) -> Any:
        out = self.coe(*args, "-f", "json").stdout
        return json.loads(out[min(i for i in (out.find("{"), out.find("[")) if i >= 0) :])

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.server.url}{path}", headers=LATEST, timeout=30)

    def wait_group(self, name: str, *statuses: str, timeout: float = 180) -> dict[str, Any]:
        """Poll the nodegroup until its status is one of `statuses` ("GONE": deleted)."""

        def shown() -> dict[str, Any]:
            response = self.get(f"/v1/clusters/{self.cluster}/nodegroups/{name}")
            if response.status_code == 404:
                return {"status": "GONE"}
            body: dict[str, Any] = response.json()
            return body

        return wait_until(shown, timeout, f"nodegroup {name} in {statuses}",
                          until=lambda b: b["status"] in statuses, interval=0.3)  # fmt: skip

    def wait_cluster(self, *statuses: str, timeout: float = 180) -> dict[str, Any]:
        def shown() -> dict[str, Any]:
            response = self.get(f"/v1/clusters/{self.cluster}")
            if response.status_code == 404:
                return {"status": "DELETE_COMPLETE"}
            body: dict[str, Any] = response.json()
            return body

        return wait_until(shown, timeout, f"cluster in {statuses}",
                          until=lambda b: b["status"] in statuses, interval=0.3)  # fmt: skip

    def state(self) -> dict[str, Any]:
        path = Path(self.settings.state_dir) / "clusters" / self.cluster / "state.json"
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def nodes_labelled(self, label: str) -> list[str]:
        assert self.docker is not None
        listed = self.docker.lines(
            "node", "ls", "--filter", f"node.label={label}", "--format", "{{.Hostname}}"
        )
        return sorted(listed)


@contextmanager
def served_world(tmp: Path) -> Iterator[World]:
    """A server on an address pool and a run dir of its own; whatever is left is removed."""
    pool = free_test_pool()
    run_dir = f"/run/dyn-{os.getpid()}"
    sections: dict[str, dict[str, Any]] = {
        "local_driver": {"address_pool": pool, "run_dir": run_dir, "drain_timeout": 5},
    }
    settings = LocalSettings(
        state_dir=str(tmp / "state" / "local_driver"), run_dir=run_dir, address_pool=pool
    )
    server = start_server(tmp, sections=sections)
    made = World(tmp, settings, server)
    try:
        yield made
    finally:
        made.server.stop()
        remove_clusters(settings)
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True)


def test_a_pools_life(tmp_path: Path) -> None:
    """The steps below, in this order, on one cluster (why: the module's docstring)."""
    with served_world(tmp_path) as world:
        cluster_for_the_pools(world)
        nodegroup_create_makes_a_labelled_pool(world)
        a_service_is_placed_on_the_pool(world)
        nodegroup_update_relabels_and_changes_limits(world)
        cluster_resize_with_nodegroup_honours_min_and_max(world)
        bad_requests_answer_in_magnums_shape(world)
        nodegroup_delete_drains_and_leaves_nothing_of_its_nodes(world)
        cluster_delete_leaves_nothing(world)


def cluster_for_the_pools(world: World) -> None:
    common = ["--coe", "swarm-mode", "--image", "dockyard-node", "--external-network", "public"]
    world.coe("cluster", "template", "create", "plain", *common, "--tls-disabled")
    world.coe("cluster", "create", "ng", "--cluster-template", "plain", "--node-count", "1")
    world.cluster = world.get("/v1/clusters/ng").json()["uuid"]
    shown = world.wait_cluster("CREATE_COMPLETE", "CREATE_FAILED")
    assert shown["status"] == "CREATE_COMPLETE", shown
    world.docker = DockerCli(world.tmp, shown["api_address"], None)
    assert world.nodes_labelled("magnum.openstack.org/nodegroup=default-worker") == ["ng-node-0"]
    assert world.nodes_labelled("magnum.openstack.org/role=master") == ["ng-master-0"]


def nodegroup_create_makes_a_labelled_pool(world: World) -> None:
    out = world.coe(
        "nodegroup", "create", "ng", "pool", "--node-count", "2", "--min-nodes", "1",
        "--max-nodes", "3", "--node-labels", "disk=ssd", "--role", "storage",
    ).stdout  # fmt: skip
    assert "Request to create nodegroup" in out
    done = world.wait_group("pool", "CREATE_COMPLETE", "CREATE_FAILED")
    assert done["status"] == "CREATE_COMPLETE", done
    assert len(done["node_addresses"]) == 2

    listed = world.coe_json("nodegroup", "list", "ng")
    assert sorted(g["name"] for g in listed) == ["default-master", "default-worker", "pool"]
    shown = world.coe_json("nodegroup", "show", "ng", "pool")
    assert (shown["role"], shown["node_count"], shown["is_default"]) == ("storage", 2, False)
    assert (shown["min_node_count"], shown["max_node_count"]) == (1, 3)
    assert shown["node_labels"] == {"disk": "ssd"}

    pool_nodes = world.nodes_labelled(POOL_LABEL)
    assert len(pool_nodes) == 2
    assert world.nodes_labelled("disk=ssd") == pool_nodes
    assert world.nodes_labelled("magnum.openstack.org/role=storage") == pool_nodes
    assert world.docker is not None
    engine = json.loads(
        world.docker.run(
            "node", "inspect", pool_nodes[0], "--format", "{{json .Description}}"
        ).stdout
    )["Engine"]["Labels"]
    assert engine["magnum.openstack.org/nodegroup"] == "pool", engine
    cluster = world.get(f"/v1/clusters/{world.cluster}").json()
    assert (cluster["node_count"], cluster["status"]) == (3, "UPDATE_COMPLETE")
    # The default worker group kept its own node.
    assert world.nodes_labelled("magnum.openstack.org/nodegroup=default-worker") == ["ng-node-0"]
    events = [
        e["event"] for e in world.get(f"/v1/clusters/{world.cluster}/events").json()["events"]
    ]
    assert "nodegroup_create.complete" in events and "nodegroup_create.progress" in events


def a_service_is_placed_on_the_pool(world: World) -> None:
    docker = world.docker
    assert docker is not None
    image = docker.run("image", "ls", "--no-trunc", "-q", "dockyard/busybox:1").stdout.strip()
    docker.run(
        "service", "create", "--detach", "--name", "fast", "--replicas", "2",
        "--constraint", "node.labels.disk==ssd", "--endpoint-mode", "dnsrr", image, *SERVICE_CMD,
    )  # fmt: skip

    def placed() -> set[str]:
        lines = docker.lines(
            "service", "ps", "fast", "--filter", "desired-state=running",
            "--format", "{{.Node}} {{.CurrentState}}",
        )  # fmt: skip
        return {line.split()[0] for line in lines if " Running " in f" {line} "}

    wait_for(lambda: len(placed()) == 2 or placed() == set(world.nodes_labelled(POOL_LABEL)),
             60, "the service's tasks on the pool")  # fmt: skip
    assert placed() <= set(world.nodes_labelled(POOL_LABEL))


def nodegroup_update_relabels_and_changes_limits(world: World) -> None:
    world.coe(
        "nodegroup", "update", "ng", "pool", "--node-labels", "disk=ssd,tier=fast",
        "--max-nodes", "4",
    )  # fmt: skip
    done = world.wait_group("pool", "UPDATE_COMPLETE", "UPDATE_FAILED")
    assert done["status"] == "UPDATE_COMPLETE", done
    assert (done["node_labels"], done["max_node_count"]) == ({"disk": "ssd", "tier": "fast"}, 4)
    assert world.nodes_labelled("tier=fast") == world.nodes_labelled(POOL_LABEL)
    assert world.nodes_labelled("disk=ssd") == world.nodes_labelled(POOL_LABEL)


def cluster_resize_with_nodegroup_honours_min_and_max(world: World) -> None:
    world.coe("cluster", "resize", "ng", "3", "--nodegroup", "pool")
    shown = world.wait_cluster("UPDATE_COMPLETE", "UPDATE_FAILED")
    assert shown["status"] == "UPDATE_COMPLETE", shown
    assert len(world.nodes_labelled(POOL_LABEL)) == 3
    assert world.nodes_labelled("magnum.openstack.org/nodegroup=default-worker") == ["ng-node-0"]
    assert world.coe_json("nodegroup", "show", "ng", "pool")["node_count"] == 3

    refused = world.coe("cluster", "resize", "ng", "5", "--nodegroup", "pool", ok=False)
    assert refused.returncode != 0
    assert "outside the allowed range" in refused.stderr and "(HTTP 400)" in refused.stderr
    refused = world.coe("cluster", "resize", "ng", "0", "--nodegroup", "pool", ok=False)
    assert "outside the allowed range" in refused.stderr
    assert len(world.nodes_labelled(POOL_LABEL)) == 3


def bad_requests_answer_in_magnums_shape(world: World) -> None:
    cases = [
        (("nodegroup", "create", "ng", "pool"), "already exists", 409),
        (("nodegroup", "create", "ng", "x", "--min-nodes", "3", "--max-nodes", "2"),
         "min_node_count (3)", 409),
        (("nodegroup", "create", "ng", "x", "--node-count", "5", "--max-nodes", "2"),
         "node_count (5)", 409),
        (("nodegroup", "create", "ng", "x", "--node-taints", "gpu=yes:NoSchedule"),
         "node_taints on a swarm cluster", 400),
        (("nodegroup", "delete", "ng", "default-worker"),
         "Deleting a default nodegroup is not supported", 400),
    ]  # fmt: skip
    for args, needle, status in cases:
        proc = world.coe(*args, ok=False)
        assert proc.returncode != 0, args
        assert needle in proc.stderr and f"(HTTP {status})" in proc.stderr, (args, proc.stderr)
    listed = world.coe_json("nodegroup", "list", "ng")
    assert sorted(g["name"] for g in listed) == ["default-master", "default-worker", "pool"]


def nodegroup_delete_drains_and_leaves_nothing_of_its_nodes(world: World) -> None:
    state = world.state()
    pool_nodes = [n for n in state["nodes"] if n.get("nodegroup")]
    assert len(pool_nodes) == 3
    world.coe("nodegroup", "delete", "ng", "pool")
    assert world.wait_group("pool", "GONE", "DELETE_FAILED")["status"] == "GONE"
    shown = world.wait_cluster("UPDATE_COMPLETE", "UPDATE_FAILED")
    assert (shown["status"], shown["node_count"]) == ("UPDATE_COMPLETE", 1), shown
    assert world.nodes_labelled(POOL_LABEL) == []
    assert world.docker is not None
    hosts = world.docker.lines("node", "ls", "--format", "{{.Hostname}}")
    assert sorted(hosts) == ["ng-master-0", "ng-node-0"]

    # The pool's nodes ran the constrained service: the timeline says they were drained first.
    timeline = world.get(f"/v1/clusters/{world.cluster}/events").json()["events"]
    warnings = [e["message"] for e in timeline if e["level"] == "WARNING"]
    assert any("Removed worker" in m and "fast." in m for m in warnings), warnings

    key = cluster_key(world.cluster)
    netns = sh("ip", "netns", "list")
    links = sh("ip", "-br", "link")
    cluster_dir = Path(world.settings.state_dir) / "clusters" / world.cluster
    for node in pool_nodes:
        assert f"dockyard-{key}-{node['name']} " not in netns + " ", node
        veth = f"dyv{key}{node['address'].rsplit('.', 1)[1]}"
        assert veth not in links, node
        assert not (cluster_dir / "nodes" / node["name"]).exists()
        assert not (Path(world.settings.run_dir) / key / node["name"]).exists()
        assert not Path(f"/proc/{node['pid']}").exists() or node["pid"] in (
            n.get("pid") for n in world.state()["nodes"]
        )
        for hierarchy in Path("/sys/fs/cgroup").iterdir():
            assert not (hierarchy / "dockyard" / key / node["name"]).exists()
    assert [n["name"] for n in world.state()["nodes"] if n.get("nodegroup")] == []


def cluster_delete_leaves_nothing(world: World) -> None:
    state = world.state()
    dirs = [
        Path(world.settings.state_dir) / "clusters" / world.cluster,
        Path(world.settings.run_dir) / state["key"],
    ]
    world.coe("cluster", "delete", "ng")
    world.wait_cluster("DELETE_COMPLETE", timeout=60)
    assert leftovers(state, dirs) == []
