"""Acceptance of issue 18 on real local clusters: a real `dockyard` process (SQLite, its
`local` and `k8s_local` drivers) heals nodes whose engine or supervisor is killed, leaves
them down when a label says so, and after its own `kill -9` mid-create finishes the create
at once. A node that cannot restart (its data directory lost: `make_unrestartable`) is
replaced: a Swarm or Kubernetes worker, a Swarm manager while the others keep quorum; the
only manager is not, and the heal fails saying why.

Healing acts once a node has been down for `heal_grace_seconds` (5 s here) and health is
checked every 2 s. Waits are generous (the machine is shared); how long healing really takes
is in docs/reliability.md. Needs root and Debian's docker.io (the Kubernetes test also
scripts/install-kubernetes); require_host fails under CI=true without them. Traffic goes to
127.0.0.1 and to the namespaces these tests create, on an address pool of the tests' own.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, start_server
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from harness.host import require_host
from harness.waiting import wait_until
from local_host import free_test_pool, node_leftovers, remove_clusters

from dockyard.drivers.swarm_local.layout import ClusterState, Node, StateStore
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.docker_local import procs

pytestmark = require_host("root", "docker")

GRACE = 5.0
HEALTH_INTERVAL = 2
# Generous: a heal restarts a dockerd and waits for swarm (or the kubelet) to report Ready.
HEAL_TIMEOUT = GRACE + 150


@dataclass
class World:
    tmp: Path
    sections: dict[str, dict[str, Any]]
    settings: LocalSettings
    server: Server

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers=LATEST, timeout=60)

    def get(self, path: str) -> Any:
        with self.http() as http:
            response = http.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    def restart(self, **sections: dict[str, Any]) -> None:
        """A new `dockyard` on the same state (the old one is gone)."""
        merged = {**self.sections, **sections}
        self.server = start_server(self.tmp, sections=merged, start_timeout=60)

    def template(self, name: str, coe: str = "swarm-mode", tls: bool = True) -> None:
        body = {
            "name": name,
            "coe": coe,
            "image_id": "dockyard-node",
            "external_network_id": "public",
            "tls_disabled": not tls,
        }
        with self.http() as http:
            response = http.post("/v1/clustertemplates", json=body)
        assert response.status_code == 201, response.text

    def create(
        self, name: str, template: str, workers: int, masters: int = 1, **labels: str
    ) -> str:
        body = {
            "name": name,
            "cluster_template_id": template,
            "node_count": workers,
            "master_count": masters,
            "labels": labels,
        }
        with self.http() as http:
            response = http.post("/v1/clusters", json=body)
        assert response.status_code == 202, response.text
        return str(response.json()["uuid"])

    def wait_created(self, uuid: str, timeout: float = 600) -> dict[str, Any]:
        def shown() -> dict[str, Any]:
            body: dict[str, Any] = self.get(f"/v1/clusters/{uuid}")
            assert not body["status"].endswith("_FAILED"), body
            return body

        return wait_until(
            shown,
            timeout,
            f"{uuid} created",
            until=lambda b: b["status"] == "CREATE_COMPLETE",
            interval=0.5,
        )

    def state(self, uuid: str) -> dict[str, Any]:
        path = Path(self.settings.state_dir) / "clusters" / uuid / "state.json"
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def node(self, uuid: str, hostname: str) -> dict[str, Any]:
        return next(n for n in self.state(uuid)["nodes"] if n["hostname"] == hostname)

    def events(self, uuid: str) -> list[str]:
        return [e["event"] for e in self.timeline(uuid)]

    def timeline(self, uuid: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get(f"/v1/clusters/{uuid}/events")["events"]
        return found

    def node_dirs(self, uuid: str, hostname: str) -> list[Path]:
        """The node's directories: its root (data-root, certificates, log) and exec-root."""
        found = self.state(uuid)  # Swarm's or Kubernetes': node paths need only these
        state = ClusterState(found["uuid"], found["key"], found["subnet"], False, "")
        node = Node(**self.node(uuid, hostname))
        paths = StateStore(self.settings).node_paths(state, node)
        return [Path(paths.root), Path(paths.exec_root)]

    def healthy(self, uuid: str) -> dict[str, Any] | None:
        body: dict[str, Any] = self.get(f"/v1/clusters/{uuid}")
        settled = body["status"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
        return body if settled and body["health_status"] == "HEALTHY" else None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("healing")
    pool = free_test_pool()
    run_dir = f"/run/dyh-{os.getpid()}"
    sections: dict[str, dict[str, Any]] = {
        "local_driver": {"address_pool": pool, "run_dir": run_dir},
        "conductor": {
            "heal_grace_seconds": GRACE,
            "health_sync_interval": HEALTH_INTERVAL,
            "poll_interval": 0.1,
            "lease_seconds": 3,
        },
    }
    settings = LocalSettings(
        state_dir=str(tmp / "state" / "local_driver"), run_dir=run_dir, address_pool=pool
    )
    made = World(tmp, sections, settings, start_server(tmp, sections=sections))
    try:
        made.template("swarm")
        made.template("plain", tls=False)
        yield made
    finally:
        made.server.stop()
        remove_clusters(settings)
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True)


def kill_node(world: World, uuid: str, hostname: str) -> int:
    """SIGKILL the node's dockerd (or supervisor); returns its pid."""
    node = world.node(uuid, hostname)
    ref = procs.ProcessRef(node["pid"], node["start_time"])
    assert procs.alive(ref), node
    os.kill(node["pid"], signal.SIGKILL)
    wait_until(lambda: not procs.alive(ref), 30, f"{hostname} to die")
    return int(node["pid"])


def wait_healed(world: World, uuid: str, hostname: str, old_pid: int) -> dict[str, Any]:
    """Until the node runs again (another process) and the cluster is HEALTHY after a heal."""

    def healed() -> dict[str, Any] | None:
        node = world.node(uuid, hostname)
        back = node["pid"] not in (None, old_pid) and procs.alive(
            procs.ProcessRef(node["pid"], node["start_time"])
        )
        done = "heal.complete" in world.events(uuid)
        return world.healthy(uuid) if back and done else None

    found: dict[str, Any] = wait_until(healed, HEAL_TIMEOUT, f"{hostname} healed", interval=0.5)
    return found


def test_a_killed_worker_and_the_only_master_come_back_without_a_restart(world: World) -> None:
    uuid = world.create("h1", "plain", 2)
    created = world.wait_created(uuid)
    port = int(created["api_address"].rsplit(":", 1)[1])
    wait_until(lambda: world.healthy(uuid), 60, "h1 healthy")

    old = kill_node(world, uuid, "h1-node-1")
    shown = wait_healed(world, uuid, "h1-node-1", old)
    assert shown["health_status_reason"]["h1-node-1"] == "Ready", shown
    events = world.events(uuid)
    for name in ("node.down", "heal.requested", "heal.started", "heal.complete", "node.up"):
        assert name in events, events
    assert events.index("node.down") < events.index("heal.requested")

    old = kill_node(world, uuid, "h1-master-0")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/_ping", timeout=5)
    wait_healed(world, uuid, "h1-master-0", old)
    # The same endpoint answers again, from the restarted manager (no Dockyard restart).
    assert httpx.get(f"http://127.0.0.1:{port}/_ping", timeout=10).text == "OK"
    # Swarm reports the workers "unknown" for a moment after its only manager restarted;
    # with a grace period this short, a worker may be restarted by one more heal.
    assert world.events(uuid).count("heal.complete") >= 2


def test_healing_disabled_by_label_leaves_the_node_down_and_says_why(world: World) -> None:
    uuid = world.create("h2", "swarm", 1, auto_healing_enabled="false")
    world.wait_created(uuid)
    wait_until(lambda: world.healthy(uuid), 60, "h2 healthy")
    old = kill_node(world, uuid, "h2-node-0")

    def says_why() -> dict[str, Any] | None:
        body: dict[str, Any] = world.get(f"/v1/clusters/{uuid}")
        return body if "healing" in (body["health_status_reason"] or {}) else None

    shown = wait_until(says_why, 60, "health to say why h2-node-0 stays down")
    assert shown["health_status"] == "UNHEALTHY"
    assert shown["health_status_reason"]["healing"] == (
        "off (auto_healing_enabled=false): h2-node-0 stay(s) down"
    )
    assert shown["health_status_reason"]["h2-node-0"].startswith("dockerd is not running")
    # Nothing happens however long it stays down: a few grace periods and health checks.
    wait_until(lambda: world.events(uuid).count("node.down") == 1, 10, "one node.down")
    with pytest.raises(AssertionError, match="timed out"):
        wait_until(lambda: "heal.requested" in world.events(uuid), GRACE * 3, "a heal")
    assert world.node(uuid, "h2-node-0")["pid"] == old
    assert not procs.alive(procs.ProcessRef(old, world.node(uuid, "h2-node-0")["start_time"]))


@require_host("kubernetes")
def test_a_kubernetes_worker_whose_supervisor_died_is_healed(world: World) -> None:
    world.template("k8s", coe="kubernetes")
    uuid = world.create("hk", "k8s", 1)
    world.wait_created(uuid, timeout=900)
    wait_until(lambda: world.healthy(uuid), 120, "hk healthy")
    old = kill_node(world, uuid, "hk-node-0")
    shown = wait_healed(world, uuid, "hk-node-0", old)
    assert shown["health_status_reason"]["hk-node-0"] == "Ready", shown
    assert "node.down" in world.events(uuid)


def test_killed_dockyard_finishes_its_create_at_once_after_a_restart(world: World) -> None:
    """kill -9 of the embedded `dockyard` while it builds a cluster; the next one takes the
    create over at start (not after the lease: 10 minutes here), and records its health."""
    world.server.stop()
    long_lease = {"conductor": {**world.sections["conductor"], "lease_seconds": 600}}
    world.restart(**long_lease)
    uuid = world.create("h3", "swarm", 2)

    def building() -> bool:
        assert not world.get(f"/v1/clusters/{uuid}")["status"].endswith("_FAILED")
        state = Path(world.settings.state_dir) / "clusters" / uuid / "state.json"
        return state.exists() and bool(world.state(uuid).get("nodes"))

    wait_until(building, 120, "h3 to be building its nodes", interval=0.1)
    world.server.process.send_signal(signal.SIGKILL)
    world.server.process.wait()
    world.restart(**long_lease)
    shown = wait_until(lambda: world.healthy(uuid), 120, "h3 created and healthy", interval=0.2)
    assert shown["status"] == "CREATE_COMPLETE"
    assert "create.resumed" in world.events(uuid)
    world.server.stop()
    world.restart()  # the module's settings again


@dataclass
class Lost:
    """A node made unrestartable: the cluster's state before, its entry, its directories."""

    before: dict[str, Any]
    node: dict[str, Any]
    dirs: list[Path]


def make_unrestartable(world: World, uuid: str, hostname: str, data: str = "data") -> Lost:
    """Kill the node's dockerd (or supervisor) and lose its data directory (`data`: dockerd's
    data-root; the kubelet's is "kube-data"): a regular file takes the directory's place, so
    the restart cannot even create it ("File exists") and fails at once. This is what a node
    whose disk is lost or unreadable looks like; renaming keeps the old data on the host
    until the node's teardown (nothing inside it is mounted on the host)."""
    lost = Lost(world.state(uuid), world.node(uuid, hostname), world.node_dirs(uuid, hostname))
    kill_node(world, uuid, hostname)
    data_root = lost.dirs[0] / data
    data_root.rename(data_root.with_name("data.lost"))
    data_root.write_text("this node's data-root is lost\n")
    return lost


def wait_replaced(world: World, uuid: str, hostname: str) -> dict[str, Any]:
    """Until the heal completed, `hostname` is gone from the driver's nodes and the cluster
    is HEALTHY; fails at once if the heal fails."""

    def replaced() -> dict[str, Any] | None:
        status = world.get(f"/v1/clusters/{uuid}")
        assert not status["status"].endswith("_FAILED"), status
        hostnames = {n["hostname"] for n in world.state(uuid)["nodes"]}
        done = "heal.complete" in world.events(uuid) and hostname not in hostnames
        return world.healthy(uuid) if done else None

    found: dict[str, Any] = wait_until(replaced, HEAL_TIMEOUT, f"{hostname} replaced", interval=1)
    return found


def new_worker(world: World, uuid: str, shown: dict[str, Any], lost: Lost) -> dict[str, Any]:
    """The worker that replaced `lost`: the node count is unchanged, the new worker has a
    name and address of its own, and the cluster's addresses are those of its workers now."""
    before = {n["hostname"]: n for n in lost.before["nodes"]}
    assert shown["node_count"] == len([n for n in before.values() if n["role"] == "worker"])
    workers = [n for n in world.state(uuid)["nodes"] if n["role"] == "worker"]
    new: dict[str, Any] = next(n for n in workers if n["hostname"] not in before)
    assert new["address"] != lost.node["address"]
    assert sorted(shown["node_addresses"]) == sorted(n["address"] for n in workers)
    return new


def replacement_events(
    world: World, uuid: str, lost: Lost, new: str, role: str
) -> list[tuple[str, str]]:
    """The heal's timeline says each step of the replacement of `lost` by `new`; returns
    the timeline as (event, message)."""
    old = lost.node["hostname"]
    messages = [(e["event"], e["message"]) for e in world.timeline(uuid)]
    driver = [m for e, m in messages if e == "heal.driver"]
    assert any(m.startswith(f"{old} did not come back") for m in driver), messages
    assert ("heal.progress", f"{old}: replaced by {new}") in messages, messages
    progress = [m.lower() for e, m in messages if e == "heal.progress"]  # "ready", "Ready"
    assert f"{new}: ready" in progress, messages
    replaced = f"replaced {role} {old} ({lost.node['address']}) by {new}"
    assert replaced in driver, messages
    return messages


def swarm_nodes(api_address: str) -> dict[str, tuple[str, str]]:
    """hostname -> (state, availability) as the swarm lists its nodes."""
    port = api_address.rsplit(":", 1)[1]
    listed = httpx.get(f"http://127.0.0.1:{port}/nodes", timeout=10).json()
    return {
        n["Description"]["Hostname"]: (n["Status"]["State"], n["Spec"]["Availability"])
        for n in listed
    }


def test_a_worker_that_cannot_restart_is_replaced(world: World) -> None:
    uuid = world.create("h4", "plain", 2)
    created = world.wait_created(uuid)
    wait_until(lambda: world.healthy(uuid), 60, "h4 healthy")
    lost = make_unrestartable(world, uuid, "h4-node-1")

    shown = wait_replaced(world, uuid, "h4-node-1")
    new = new_worker(world, uuid, shown, lost)
    assert procs.alive(procs.ProcessRef(new["pid"], new["start_time"]))
    assert shown["health_status_reason"][new["hostname"]] == "Ready", shown
    assert "h4-node-1" not in shown["health_status_reason"], shown
    # The swarm lists the new worker ready and active, and the dead one no more.
    listed = swarm_nodes(created["api_address"])
    assert listed == {
        "h4-master-0": ("ready", "active"),
        "h4-node-0": ("ready", "active"),
        new["hostname"]: ("ready", "active"),
    }, listed
    # Nothing of the dead node is left on the host.
    assert node_leftovers(lost.before, lost.node, lost.dirs) == []
    messages = replacement_events(world, uuid, lost, new["hostname"], "worker")
    complete = [m for e, m in messages if e == "heal.complete"]
    assert any(f"replaced h4-node-1 by {new['hostname']}" in m for m in complete), messages


def kube_nodes(world: World, uuid: str, api_address: str) -> dict[str, bool]:
    """name -> Ready, as the cluster's kube-apiserver lists its nodes, asked with a client
    certificate the Magnum API signed (O=system:masters: an administrator)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
            x509.NameAttribute(NameOID.COMMON_NAME, "healing-test"),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    body = {"cluster_uuid": uuid, "csr": csr.public_bytes(serialization.Encoding.PEM).decode()}
    with world.http() as http:
        signed = http.post("/v1/certificates", json=body)
    assert signed.status_code == 201, signed.text
    files = world.tmp / f"kube-client-{uuid}"
    files.mkdir(exist_ok=True)
    (files / "ca.pem").write_text(world.get(f"/v1/certificates/{uuid}")["pem"])
    (files / "cert.pem").write_text(signed.json()["pem"])
    (files / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    tls = ssl.create_default_context(cafile=str(files / "ca.pem"))
    tls.load_cert_chain(files / "cert.pem", files / "key.pem")
    with httpx.Client(verify=tls, timeout=20) as client:
        listed = client.get(f"{api_address}/api/v1/nodes")
    assert listed.status_code == 200, listed.text
    return {
        n["metadata"]["name"]: any(
            c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]
        )
        for n in listed.json()["items"]
    }


@require_host("kubernetes")
def test_a_kubernetes_worker_that_cannot_restart_is_replaced(world: World) -> None:
    world.template("k8s-replace", coe="kubernetes")
    uuid = world.create("hr", "k8s-replace", 2)
    created = world.wait_created(uuid, timeout=900)
    wait_until(lambda: world.healthy(uuid), 120, "hr healthy")
    lost = make_unrestartable(world, uuid, "hr-node-1", data="kube-data")

    shown = wait_replaced(world, uuid, "hr-node-1")
    new = new_worker(world, uuid, shown, lost)
    # The kube-apiserver has the new node Ready, and the dead one no more.
    ready = kube_nodes(world, uuid, created["api_address"])
    assert ready == {"hr-master-0": True, "hr-node-0": True, new["hostname"]: True}, ready
    assert node_leftovers(lost.before, lost.node, lost.dirs) == []
    replacement_events(world, uuid, lost, new["hostname"], "worker")


def test_the_only_manager_that_cannot_restart_is_not_replaced(world: World) -> None:
    uuid = world.create("h5", "plain", 1)
    world.wait_created(uuid)
    wait_until(lambda: world.healthy(uuid), 60, "h5 healthy")
    make_unrestartable(world, uuid, "h5-master-0")

    def failed() -> dict[str, Any] | None:
        body: dict[str, Any] = world.get(f"/v1/clusters/{uuid}")
        return body if body["status"] == "UPDATE_FAILED" else None

    shown = wait_until(failed, HEAL_TIMEOUT, "the heal of h5-master-0 to fail")
    assert (
        "manager(s) h5-master-0 did not come back and are not replaced: it is the cluster's "
        "only manager" in shown["status_reason"]
    ), shown
    events = world.events(uuid)
    assert "heal.failed" in events and "heal.complete" not in events, events
    # Nothing was added or removed: the manager waits for a person, with its data.
    nodes = [(n["hostname"], n["removing"]) for n in world.state(uuid)["nodes"]]
    assert nodes == [("h5-master-0", False), ("h5-node-0", False)], nodes


def test_a_manager_that_cannot_restart_is_replaced_while_the_others_keep_quorum(
    world: World,
) -> None:
    """3 managers, the first one lost (the one that started the swarm and gave join tokens):
    the other two keep raft's quorum, so it is demoted and removed, and a new manager joins."""
    uuid = world.create("h6", "plain", 1, masters=3)
    created = world.wait_created(uuid)
    port = int(created["api_address"].rsplit(":", 1)[1])
    wait_until(lambda: world.healthy(uuid), 60, "h6 healthy")
    lost = make_unrestartable(world, uuid, "h6-master-0")

    shown = wait_replaced(world, uuid, "h6-master-0")
    assert shown["master_count"] == 3 and shown["node_count"] == 1, shown
    managers = [n for n in world.state(uuid)["nodes"] if n["role"] == "manager"]
    assert [n["hostname"] for n in managers] == ["h6-master-1", "h6-master-2", "h6-master-3"]
    new = managers[-1]
    assert new["address"] != lost.node["address"]
    assert sorted(shown["master_addresses"]) == sorted(n["address"] for n in managers)
    # The swarm has three managers again, all reachable, the lost one gone; the cluster's
    # endpoint answers (the new manager listens on it too).
    answer = httpx.get(f"http://127.0.0.1:{port}/nodes", timeout=10).json()
    raft = {
        n["Description"]["Hostname"]: (n["Status"]["State"], n["ManagerStatus"]["Reachability"])
        for n in answer
        if n["Spec"]["Role"] == "manager"
    }
    assert raft == {
        "h6-master-1": ("ready", "reachable"),
        "h6-master-2": ("ready", "reachable"),
        "h6-master-3": ("ready", "reachable"),
    }, raft
    assert set(swarm_nodes(created["api_address"])) == {*raft, "h6-node-0"}
    assert node_leftovers(lost.before, lost.node, lost.dirs) == []
    replacement_events(world, uuid, lost, "h6-master-3", "manager")
