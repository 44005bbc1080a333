"""The `local` driver against real dockerds: no mocks, no API, no database.

The driver is called directly with ClusterSpecs built here (a CA from generate_ca, a client
certificate from issue). Tests that only look share one 1-master + 2-worker cluster for the
module: the CLI sees 3 Ready nodes, a service runs, TLS is enforced, nodes are fenced in.
Tests that change a cluster make their own (`created`): workers scale 2 -> 3 -> 1, health
sees a dead dockerd, the CA rotates, delete leaves nothing behind. No test depends on another
or on the order they run in. Needs root and Debian's docker.io (scripts/install-docker):
skipped without them, a failure under CI=true. All traffic goes to 127.0.0.1 or to the
namespaces these tests create. Timings are bench/local_cluster.py's job, not these tests'.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from harness.host import require_host
from local_host import (
    CTX,
    SERVICE_CMD,
    DockerCli,
    free_test_pool,
    leftovers,
    make_spec,
    probe_from_netns,
    sh,
    wait_for,
    write_client,
)

from dockyard.certs.x509 import KeyPair, generate_ca, issue
from dockyard.common.exceptions import InvalidParameterValue, NotSupported
from dockyard.conf import load_config
from dockyard.drivers.base import (
    ClusterInventory,
    ClusterSpec,
    DriverResult,
    Outcome,
)
from dockyard.drivers.registry import DriverRegistry
from dockyard.drivers.swarm_local.driver import LocalDriver
from dockyard.drivers.swarm_local.layout import (
    MANAGER,
    WORKER,
    ClusterState,
    Node,
    StateStore,
    cluster_key,
)
from dockyard.drivers.swarm_local.nodes import NodeManager
from dockyard.drivers.swarm_local.scaling import choose_victims
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.docker_local import image
from dockyard.providers.docker_local.network import NetworkError, assert_routed_via
from dockyard.services.images import ImageCatalog

needs_host = require_host("root", "docker")


class Cluster:
    """A cluster made for a test: its spec, the driver's last result and a CLI on its API."""

    def __init__(
        self, driver: LocalDriver, spec: ClusterSpec, cli: DockerCli, client: dict[str, Path]
    ) -> None:
        self.driver = driver
        self.spec = spec
        self.cli = cli
        self.client = client  # the admin's TLS files (tlscacert, tlscert, tlskey)
        self.result: DriverResult | None = None
        self.state: dict[str, Any] = {}

    def record(self, result: DriverResult) -> DriverResult:
        assert result.outcome is Outcome.COMPLETE, result.reason
        self.result = result
        if result.driver_state:
            self.state = result.driver_state
            self.spec = replace(self.spec, driver_state=result.driver_state)
        return result

    def node(self, name: str) -> dict[str, Any]:
        return next(n for n in self.state["nodes"] if n["name"] == name)

    def ready_nodes(self) -> dict[str, str]:
        lines = self.cli.lines("node", "ls", "--format", "{{.Hostname}} {{.Status}}")
        return dict(line.split() for line in lines)

    def running_tasks(self, service: str) -> list[str]:
        lines = self.cli.lines(
            "service", "ps", service, "--filter", "desired-state=running",
            "--format", "{{.Name}} {{.Node}} {{.CurrentState}}",
        )  # fmt: skip
        return [line for line in lines if " Running " in f" {line} "]

    def start_service(self, name: str, replicas: int) -> None:
        """A replicated service from the nodes' base image; returns once every task runs."""
        self.cli.run(
            "service", "create", "--detach", "--name", name, "--replicas", str(replicas),
            "--endpoint-mode", "dnsrr", self.state["image_id"], *SERVICE_CMD,
        )  # fmt: skip
        wait_for(lambda: len(self.running_tasks(name)) == replicas, 60, f"{replicas} {name} tasks")


@contextmanager
def created(
    settings: LocalSettings, ca: KeyPair, home: Path, name: str, workers: int
) -> Iterator[Cluster]:
    """A 1-master cluster with `workers` workers made now, deleted afterwards (a no-op when
    the test deleted it already)."""
    driver = LocalDriver(settings)
    spec = make_spec(ca, name=name, workers=workers)
    client = write_client(home / "client", ca, issue(ca, "admin", client=True))
    result = driver.create_cluster(CTX, spec)
    try:
        assert result.outcome is Outcome.COMPLETE, result.reason
        assert result.facts is not None and result.facts.api_address
        port = result.facts.api_address.rsplit(":", 1)[1]
        made = Cluster(driver, spec, DockerCli(home, f"tcp://127.0.0.1:{port}", client), client)
        made.record(result)
        yield made
    finally:
        driver.delete_cluster(CTX, replace(spec, driver_state=result.driver_state or {}))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("local-driver")


@pytest.fixture(scope="module")
def settings(workdir: Path) -> Iterator[LocalSettings]:
    run_dir = f"/run/dockyard-test-{os.getpid()}"
    pool = free_test_pool()
    yield LocalSettings(state_dir=str(workdir / "state"), run_dir=run_dir, address_pool=pool)
    # The driver keeps its pool's blackhole for good; this pool is the tests' own.
    subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True, check=False)


@pytest.fixture(scope="module")
def ca() -> KeyPair:
    return generate_ca("dockyard-test-cluster")


@pytest.fixture(scope="module")
def cluster(settings: LocalSettings, ca: KeyPair, workdir: Path) -> Iterator[Cluster]:
    """One 1-master + 2-worker cluster for the tests that only look at it; a test that
    changes a cluster makes its own with `created`, so any order works."""
    LocalDriver(settings).check_host()
    with created(settings, ca, workdir, "itest", workers=2) as made:
        yield made


def test_check_host_refuses_a_missing_dockerd(tmp_path: Path) -> None:
    driver = LocalDriver(LocalSettings(state_dir=str(tmp_path), dockerd="/nonexistent/dockerd"))
    with pytest.raises(NotSupported, match="no dockerd binary at '/nonexistent/dockerd'"):
        driver.check_host()


# -- tests that only look at the shared cluster ---------------------------------------------
@needs_host
def test_create_gives_three_ready_nodes_on_loopback(cluster: Cluster) -> None:
    result = cluster.result
    assert result is not None and result.facts is not None
    facts = result.facts
    assert facts.api_address is not None and facts.api_address.startswith("tcp://127.0.0.1:")
    assert facts.master_addresses == [cluster.node("m0")["address"]]
    assert len(facts.node_addresses or []) == 2
    assert facts.coe_version and facts.container_version
    assert cluster.ready_nodes() == {
        "itest-master-0": "Ready",
        "itest-node-0": "Ready",
        "itest-node-1": "Ready",
    }
    # dockerd itself listens on host loopback: the socket-activation fd, no proxy process.
    listeners = sh("ss", "-Hltnp", "sport", "=", facts.api_address.rsplit(":", 1)[1])
    assert f"pid={cluster.node('m0')['pid']}," in listeners and '"dockerd"' in listeners


@needs_host
def test_create_again_changes_nothing(cluster: Cluster) -> None:
    before = {n["name"]: n["pid"] for n in cluster.state["nodes"]}
    again = cluster.driver.create_cluster(CTX, cluster.spec)
    assert again.outcome is Outcome.COMPLETE, again.reason
    assert {n["name"]: n["pid"] for n in (again.driver_state or {})["nodes"]} == before
    assert again.facts is not None and again.facts.api_address == cluster.cli.host


@needs_host
def test_replicated_service_runs_from_the_base_image(cluster: Cluster) -> None:
    name = f"spread-{uuid.uuid4().hex[:6]}"
    cluster.start_service(name, 3)
    try:
        nodes = {line.split()[1] for line in cluster.running_tasks(name)}
        assert nodes == {"itest-master-0", "itest-node-0", "itest-node-1"}  # spread: one each
    finally:
        cluster.cli.run("service", "rm", name)  # the shared cluster stays as it was


@needs_host
def test_tls_needs_a_client_certificate_from_the_cluster_ca(
    cluster: Cluster, ca: KeyPair, tmp_path: Path
) -> None:
    no_cert = {"tlscacert": cluster.client["tlscacert"]}
    refused = cluster.cli.run("version", tls=no_cert, check=False)
    assert refused.returncode != 0
    assert "certificate" in refused.stderr.lower(), refused.stderr
    other = generate_ca("some-other-cluster")
    stranger = write_client(tmp_path / "stranger", ca, issue(other, "intruder", client=True))
    refused = cluster.cli.run("version", tls=stranger, check=False)
    assert refused.returncode != 0
    assert "certificate" in refused.stderr.lower() or "tls" in refused.stderr.lower()
    # Each node also serves TLS on its own address; check the route before connecting.
    worker = cluster.node("w1")
    bridge = f"dyb{cluster.state['key']}"
    assert_routed_via(worker["address"], bridge)
    direct = DockerCli(tmp_path, f"tcp://{worker['address']}:2376", cluster.cli.tls)
    assert direct.run("info", "--format", "{{.Name}}").stdout.strip() == "itest-node-1"


@needs_host
def test_nodes_reach_their_cluster_and_nothing_else(cluster: Cluster) -> None:
    netns = f"dockyard-{cluster.state['key']}-w0"
    assert "default" not in sh("ip", "-n", netns, "route")
    assert sh("ip", "-n", netns, "-6", "addr", "show", "dev", "eth0") == ""  # no IPv6 at all
    assert sh("ip", "-6", "addr", "show", "dev", f"dyb{cluster.state['key']}") == ""
    manager = cluster.node("m0")["address"]
    gateway = manager.rsplit(".", 1)[0] + ".1"
    api_port = (cluster.cli.host or "").rsplit(":", 1)[1]
    pool = ipaddress.IPv4Network(cluster.driver.settings.address_pool)
    outside = str(pool.broadcast_address - 1)  # in the pool, in another cluster's /24
    results = probe_from_netns(
        netns,
        [
            f"{manager}:2377",  # the swarm manager: same cluster
            f"127.0.0.1:{api_port}",  # "the host's loopback" is the node's own here
            f"{gateway}:22",  # the host's address on the bridge: rejected by the firewall
            "192.0.2.1:80",  # the machine's default gateway
            "8.8.8.8:53",  # anything on the internet
            f"{outside}:2376",  # the pool, outside this cluster's /24
        ],
    )
    assert results[f"{manager}:2377"] == "connected"
    assert results[f"127.0.0.1:{api_port}"] == "ECONNREFUSED"
    assert results[f"{gateway}:22"] in ("EHOSTUNREACH", "ECONNREFUSED")
    assert results["192.0.2.1:80"] == "ENETUNREACH"
    assert results["8.8.8.8:53"] == "ENETUNREACH"
    assert results[f"{outside}:2376"] == "ENETUNREACH"


@needs_host
def test_resume_sweeps_only_orphans_of_its_own_state_dir(
    settings: LocalSettings, ca: KeyPair, cluster: Cluster
) -> None:
    driver, store = LocalDriver(settings), StateStore(settings)
    nodes = NodeManager(settings, store)
    # An orphan whose state file is lost: found by the directory, removed by derived names.
    lost = str(uuid.uuid4())
    state = nodes.new_state(lost, tls=False, storage_driver="vfs")
    node = state.add_node(MANAGER, "lost")
    nodes.ensure_network(state)
    sh("ip", "netns", "add", state.netns(node))
    os.unlink(Path(store.cluster_dir(lost)) / "state.json")
    old = time.time() - 60
    os.utime(store.cluster_dir(lost), (old, old))
    # One made after the database was listed: a create that started since, left alone.
    young = str(uuid.uuid4())
    listed_at = time.time()
    nodes.new_state(young, tls=False, storage_driver="vfs")
    inventory = ClusterInventory((), frozenset({cluster.spec.uuid}), listed_at)
    try:
        reports = driver.resume(CTX, inventory)
        assert reports == [f"orphan cluster {lost} (not in the database; no state): removed"]
        assert leftovers(state.to_dict(), [Path(store.cluster_dir(lost))]) == []
        assert Path(store.cluster_dir(young)).exists()
        assert cluster.ready_nodes()  # the known cluster is untouched
        # A database without any cluster is more likely a mix-up than a sweep: report only.
        reports = driver.resume(CTX, ClusterInventory((), frozenset(), time.time() + 10))
        assert len(reports) == 2 and all("left alone" in line for line in reports), reports
        assert Path(store.cluster_dir(young)).exists() and cluster.ready_nodes()
        # Nothing in this state_dir: nothing to do, the host is not even looked at.
        empty = LocalDriver(replace(settings, state_dir=str(Path(settings.state_dir) / "none")))
        assert empty.resume(CTX, ClusterInventory((), frozenset(), time.time())) == []
    finally:
        driver.delete_cluster(CTX, replace(make_spec(None, name="young", tls=False),
                                           uuid=young))  # fmt: skip


# -- tests with clusters of other shapes ---------------------------------------------------
@needs_host
def test_tls_disabled_cluster_is_plain_on_loopback_only(
    settings: LocalSettings, tmp_path: Path
) -> None:
    driver = LocalDriver(settings)
    spec = make_spec(None, name="plain", workers=0, tls=False)
    result = driver.create_cluster(CTX, spec)
    try:
        assert result.outcome is Outcome.COMPLETE, result.reason
        assert result.facts is not None and result.facts.api_address
        cli = DockerCli(tmp_path, result.facts.api_address, None)
        assert cli.lines("node", "ls", "--format", "{{.Hostname}} {{.Status}}") == [
            "plain-master-0 Ready"
        ]
        state = result.driver_state or {}
        address = state["nodes"][0]["address"]
        assert_routed_via(address, f"dyb{state['key']}")
        refused = DockerCli(tmp_path, f"tcp://{address}:2376", None).run("version", check=False)
        assert refused.returncode != 0  # no TCP API on the node address without TLS
    finally:
        deleted = driver.delete_cluster(CTX, replace(spec, driver_state=result.driver_state or {}))
    assert deleted.outcome is Outcome.COMPLETE
    dirs = [
        Path(settings.state_dir) / "clusters" / spec.uuid,
        Path(settings.run_dir) / state["key"],
    ]
    assert leftovers(state, dirs) == []


# -- tests that change a cluster: each makes its own ----------------------------------------
@needs_host
def test_scale_workers_2_to_3_to_1(settings: LocalSettings, ca: KeyPair, tmp_path: Path) -> None:
    with created(settings, ca, tmp_path, "scale", workers=2) as cluster:
        cluster.start_service("web", 3)  # one task per node
        workers = next(ng for ng in cluster.spec.nodegroups if ng.role == "worker")
        up = cluster.record(cluster.driver.resize_cluster(CTX, cluster.spec, workers, 3, []))
        cluster.spec = replace(cluster.spec, node_count=3)  # as the conductor records it
        assert up.facts is not None and len(up.facts.node_addresses or []) == 3
        assert not up.events
        wait_for(lambda: len(cluster.ready_nodes()) == 4, 20, "4 nodes")
        assert set(cluster.ready_nodes().values()) == {"Ready"}

        # scale-node-2 is new and runs nothing, so it goes first; the second victim runs a task.
        down = cluster.record(cluster.driver.resize_cluster(CTX, cluster.spec, workers, 1, []))
        cluster.spec = replace(cluster.spec, node_count=1)
        assert down.facts is not None and len(down.facts.node_addresses or []) == 1
        hostnames = [n["hostname"] for n in cluster.state["nodes"]]
        assert hostnames == ["scale-master-0", "scale-node-0"]
        assert "running tasks: scale-node-1" in (down.reason or "")
        assert len(down.events) == 1
        assert "scale-node-1" in down.events[0] and "web." in down.events[0]
        assert cluster.ready_nodes() == {"scale-master-0": "Ready", "scale-node-0": "Ready"}
        wait_for(lambda: len(cluster.running_tasks("web")) == 3, 30, "web back to 3 tasks")
        netns = sh("ip", "netns", "list")
        assert f"dockyard-{cluster.state['key']}-w1" not in netns
        assert f"dockyard-{cluster.state['key']}-w2" not in netns


@needs_host
def test_health_sees_a_dead_dockerd_and_create_heals_it(
    settings: LocalSettings, ca: KeyPair, tmp_path: Path
) -> None:
    with created(settings, ca, tmp_path, "heal", workers=1) as cluster:
        health = cluster.driver.check_health(CTX, cluster.spec)
        assert health is not None and health.status == "HEALTHY", health
        victim = cluster.node("w0")
        os.kill(victim["pid"], signal.SIGKILL)

        def unhealthy() -> Any:
            found = cluster.driver.check_health(CTX, cluster.spec)
            return found if found is not None and found.status != "HEALTHY" else None

        health = wait_for(unhealthy, 10, "UNHEALTHY")
        assert health.status == "UNHEALTHY"
        assert health.reason["heal-node-0"].startswith("dockerd is not running")
        assert health.reason["heal-master-0"] == "Ready"
        cluster.record(cluster.driver.create_cluster(CTX, cluster.spec))
        assert cluster.node("w0")["pid"] != victim["pid"]
        health = cluster.driver.check_health(CTX, cluster.spec)
        assert health is not None and health.status == "HEALTHY", health


@needs_host
def test_rotate_ca_restarts_the_nodes_and_finishes_an_interrupted_rotation(
    settings: LocalSettings, ca: KeyPair, tmp_path: Path
) -> None:
    with created(settings, ca, tmp_path, "rotate", workers=1) as cluster:
        cluster.start_service("web", 2)
        new_ca = generate_ca("dockyard-test-rotated")
        driver = cluster.driver
        # What a rotation that died after restarting the manager left: the conductor repeats it.
        state = ClusterState.from_dict(dict(cluster.state))
        nodes = NodeManager(driver.settings, driver.store)
        nodes.ensure_running(state, [state.node("m0")], new_ca)
        manager_pid = state.node("m0").pid
        spec = replace(cluster.spec, ca=new_ca)
        rotated = cluster.record(driver.rotate_ca(CTX, spec))
        cluster.spec = replace(cluster.spec, ca=new_ca)
        assert (rotated.reason or "").endswith(": rotate-node-0"), rotated.reason  # the rest
        assert cluster.node("m0")["pid"] == manager_pid
        assert rotated.facts is not None and rotated.facts.api_address == cluster.cli.host

        old = cluster.cli.run("node", "ls", check=False)
        assert old.returncode != 0 and "certificate" in old.stderr.lower(), old.stderr
        fresh = write_client(tmp_path / "rotated", new_ca, issue(new_ca, "admin", client=True))
        stale = {**fresh, "tlscert": cluster.client["tlscert"],
                 "tlskey": cluster.client["tlskey"]}  # fmt: skip
        assert cluster.cli.run("node", "ls", tls=stale, check=False).returncode != 0
        cluster.cli = DockerCli(tmp_path, cluster.cli.host, fresh)
        both = {"rotate-master-0": "Ready", "rotate-node-0": "Ready"}
        wait_for(lambda: cluster.ready_nodes() == both, 30, f"node ls to show {both}")
        wait_for(lambda: len(cluster.running_tasks("web")) == 2, 30, "web back to 2 tasks")

        pids = {n["name"]: n["pid"] for n in cluster.state["nodes"]}
        again = cluster.record(driver.rotate_ca(CTX, cluster.spec))
        assert (again.reason or "").endswith(": none")
        assert {n["name"]: n["pid"] for n in cluster.state["nodes"]} == pids


@needs_host
def test_delete_leaves_nothing_behind(settings: LocalSettings, ca: KeyPair, tmp_path: Path) -> None:
    with created(settings, ca, tmp_path, "gone", workers=1) as cluster:
        state = cluster.state
        result = cluster.driver.delete_cluster(CTX, cluster.spec)
        assert result.outcome is Outcome.COMPLETE and result.reason == "deleted", result.reason
        assert result.driver_state == {}
        dirs = [
            Path(settings.state_dir) / "clusters" / cluster.spec.uuid,
            Path(settings.run_dir) / state["key"],
        ]
        assert leftovers(state, dirs) == []  # routes of its subnet included
        assert not (Path(settings.state_dir) / "locks" / f"{cluster.spec.uuid}.lock").exists()
        # Deleting again (a conductor repeating the call after a crash) succeeds.
        again = cluster.driver.delete_cluster(CTX, cluster.spec)
        assert again.outcome is Outcome.COMPLETE


@needs_host
def test_refuses_a_bridge_it_did_not_create(settings: LocalSettings, ca: KeyPair) -> None:
    driver = LocalDriver(settings)
    spec = make_spec(ca, name="foreign", workers=0)
    bridge = f"dyb{cluster_key(spec.uuid)}"
    sh("ip", "link", "add", "name", bridge, "type", "bridge")
    try:
        sh("ip", "link", "set", "dev", bridge, "alias", "somebody-else")
        with pytest.raises(NetworkError, match="not created by this cluster"):
            driver.create_cluster(CTX, spec)
        assert "somebody-else" in sh("ip", "-d", "link", "show", "dev", bridge)
    finally:
        sh("ip", "link", "del", "dev", bridge)
        driver.delete_cluster(CTX, spec)


@needs_host
def test_create_and_delete_continue_after_a_crash(settings: LocalSettings, ca: KeyPair) -> None:
    driver, nodes = LocalDriver(settings), NodeManager(settings, StateStore(settings))
    spec = make_spec(ca, name="crash", workers=1)
    # What a conductor that died in the middle of create left: the state saved, the master's
    # dockerd running, the worker's namespace made but nothing in it yet.
    state = nodes.new_state(spec.uuid, tls=True, storage_driver=settings.storage_driver)
    master, worker = state.add_node(MANAGER, spec.name), state.add_node(WORKER, spec.name)
    StateStore(settings).save(state)
    nodes.ensure_network(state)
    nodes.ensure_running(state, [master], ca)
    sh("ip", "netns", "add", state.netns(worker))
    result = driver.create_cluster(CTX, spec)  # another conductor repeats the call
    assert result.outcome is Outcome.COMPLETE, result.reason
    again = ClusterState.from_dict(result.driver_state or {})
    assert again.node("m0").pid == master.pid  # the running dockerd was kept
    assert again.node("w0").swarm_id
    # A delete that died after removing the worker; the repeated delete finishes the job.
    nodes.teardown(again, [again.node("w0")], graceful=False)
    deleted = driver.delete_cluster(CTX, replace(spec, driver_state=result.driver_state or {}))
    assert deleted.outcome is Outcome.COMPLETE, deleted.reason
    dirs = [Path(settings.state_dir) / "clusters" / spec.uuid, Path(settings.run_dir) / state.key]
    assert leftovers(again.to_dict(), dirs) == []


@needs_host
def test_three_masters_form_a_raft_group(
    settings: LocalSettings, ca: KeyPair, tmp_path: Path
) -> None:
    driver = LocalDriver(settings)
    spec = make_spec(ca, name="ha", masters=3, workers=0)
    result = driver.create_cluster(CTX, spec)
    try:
        assert result.outcome is Outcome.COMPLETE, result.reason
        assert result.facts is not None and len(result.facts.master_addresses or []) == 3
        client = write_client(tmp_path / "client", ca, issue(ca, "admin", client=True))
        cli = DockerCli(tmp_path, result.facts.api_address or "", client)
        status = cli.lines("node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}")
        assert sorted(status) == [
            "ha-master-0 Leader", "ha-master-1 Reachable", "ha-master-2 Reachable"
        ]  # fmt: skip
        # Rotation restarts the managers one by one: raft keeps its quorum throughout.
        new_ca = generate_ca("dockyard-test-ha-rotated")
        spec = replace(spec, ca=new_ca, driver_state=result.driver_state or {})
        rotated = driver.rotate_ca(CTX, spec)
        assert rotated.outcome is Outcome.COMPLETE, rotated.reason
        fresh = write_client(tmp_path / "ha-rotated", new_ca, issue(new_ca, "admin", client=True))
        cli = DockerCli(tmp_path, result.facts.api_address or "", fresh)
        status = wait_for(
            lambda: sorted(cli.lines("node", "ls", "--format", "{{.Hostname}} {{.Status}}")),
            30,
            "node ls",
        )
        assert status == ["ha-master-0 Ready", "ha-master-1 Ready", "ha-master-2 Ready"]
        leaders = cli.lines("node", "ls", "--filter", "role=manager", "--format",
                            "{{.ManagerStatus}}")  # fmt: skip
        assert sorted(leaders)[0] == "Leader" and len(leaders) == 3
    finally:
        driver.delete_cluster(CTX, replace(spec, driver_state=result.driver_state or {}))


# -- pure parts (no root needed) ---------------------------------------------------------
def _worker(name: str) -> Node:
    index = int(name[1:])
    return Node(name, WORKER, f"192.168.208.{20 + index}", f"c-node-{index}", swarm_id=f"id{index}")


def test_victims_are_requested_then_idle_then_least_busy_newest_first() -> None:
    workers = [_worker(f"w{i}") for i in range(4)]
    tasks = {"w0": ["web.1"], "w1": [], "w2": ["web.2", "web.3"], "w3": []}
    assert [n.name for n in choose_victims(workers, 2, [], tasks)] == ["w3", "w1"]
    assert [n.name for n in choose_victims(workers, 3, [], tasks)] == ["w3", "w1", "w0"]
    assert [n.name for n in choose_victims(workers, 2, ["c-node-2"], tasks)] == ["w2", "w3"]
    assert [n.name for n in choose_victims(workers, 1, ["192.168.208.20"], tasks)] == ["w0"]
    with pytest.raises(InvalidParameterValue, match="no worker node 'w9'"):
        choose_victims(workers, 1, ["w9"], tasks)
    assert choose_victims(workers, 0, [], tasks) == []


@require_host("busybox")
def test_base_image_is_deterministic() -> None:
    first = image.base_image("/bin/busybox")
    image._build.cache_clear()  # build it a second time from scratch
    second = image.base_image("/bin/busybox")
    assert first.archive == second.archive
    assert first.image_id == second.image_id and len(first.image_id) == len("sha256:") + 64


def test_state_round_trips_and_names_fit_linux_limits() -> None:
    state = ClusterState(str(uuid.uuid4()), "0123abcd", "192.168.208.0/24", True, "overlay2")
    for _ in range(3):
        state.add_node(MANAGER, "My Cluster!")
    nodes = [state.add_node(WORKER, "My Cluster!") for _ in range(200)]
    assert state.managers[0].hostname == "my-cluster-master-0"
    assert nodes[-1].address == "192.168.208.212" and nodes[-1].hostname == "my-cluster-node-199"
    assert max(len(state.veth(n)) for n in state.nodes) <= 15  # IFNAMSIZ - 1
    assert len(state.bridge) <= 15
    assert ClusterState.from_dict(state.to_dict()) == state


def test_pool_must_be_a_private_range_with_room_for_a_cluster(tmp_path: Path) -> None:
    def problem(pool: str) -> str | None:
        return LocalSettings(state_dir=str(tmp_path), address_pool=pool).pool_problem()

    assert problem("192.168.240.0/20") is None
    assert "private" in (problem("8.8.0.0/16") or "")
    assert "/24" in (problem("192.168.240.0/25") or "")
    assert "not an IPv4 network" in (problem("nonsense") or "")


def test_registered_as_local_with_its_config_group(tmp_path: Path) -> None:
    conf = load_config([], config_files=[])
    conf.set_override("state_path", str(tmp_path))
    registry = DriverRegistry(enabled=["local"], conf=conf)
    driver = registry.select("vm", "dockyard-node", "swarm-mode")
    assert isinstance(driver, LocalDriver) and driver.name == "local"
    assert registry.select("vm", "dockyard-node", "swarm") is driver
    assert driver.settings.state_dir == str(tmp_path / "local_driver")
    assert driver.settings.address_pool == conf.local_driver.address_pool == "192.168.240.0/20"
    assert ImageCatalog().resolve("dockyard-node").os_distro == "dockyard-node"
