"""Acceptance of issues 3 and 4: the real `openstack coe` client against a real `dockyard`
process whose `local` driver makes real swarm clusters, and the real docker CLI against them.

A world is a `dockyard` server with a TLS cluster `c1` (1 master + 2 workers, each node's
data-root on a 1 GiB loop-mounted ext4 volume) and a TLS-disabled cluster `plain`, both made
with the client, and a docker CLI configured by `cluster config c1`. The module shares one
world (`shared`) for the tests that only look: `cluster show`, `cluster config` + a 3-replica
dnsrr service (a service of the test's own), volumes, TLS refusals, `ca show`, the manual key
+ CSR + `ca sign` path, the TLS-disabled cluster.

What changes a cluster is one story on a world of its own (`test_a_clusters_life`): scaling
2 -> 3 -> 1, `ca rotate`, node certificate renewal, a simulated machine restart (every node
process killed with SIGKILL, the service restarted: the cluster comes back and an orphan is
swept) and delete leaving nothing behind. It is one test because each step starts from what
the one before left (the service the scale-down drains is what must survive the rotation, the
renewal and the restart; the restart brings back the rotated and renewed cluster; delete must
clean up after all of them), and a world per step (server, clusters, client configuration,
service: ~25 s each) would about double the module's time. Each `openstack` call costs ~2 s
of CPU, so there are few of them; httpx only waits for statuses and reads what the CLI cannot
show (the event timeline).

Needs root and Debian's docker.io (scripts/install-docker); skips otherwise. Traffic goes to
127.0.0.1 and to the namespaces these tests create, on an address pool of the tests' own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, start_server
from cryptography import x509
from harness.host import require_host
from harness.waiting import wait_until
from local_host import (
    Coe,
    DockerCli,
    exports,
    free_test_pool,
    leftovers,
    remove_clusters,
    routes_in,
    sh,
    wait_for,
)

from dockyard.certs.x509 import generate_ca, issue
from dockyard.drivers.swarm_local.layout import MANAGER, StateStore
from dockyard.drivers.swarm_local.nodes import NodeManager
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.docker_local import cgroups

pytestmark = [pytest.mark.client, require_host("root", "docker")]

OPENSTACK = str(Path(sys.executable).parent / "openstack")
SERVICE_CMD = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
# The seed's client.conf for a manually made key and CSR.
CLIENT_CONF = """[req]
distinguished_name = req_distinguished_name
req_extensions     = req_ext
prompt = no
[req_distinguished_name]
CN = Your Name
[req_ext]
extendedKeyUsage = clientAuth
"""


@dataclass
class World:
    """A server, its clusters and the files of their users."""

    tmp: Path
    sections: dict[str, dict[str, Any]]
    settings: LocalSettings
    server: Server
    coe: Coe
    port: int
    clusters: dict[str, str] = field(default_factory=dict)  # name -> uuid
    docker: DockerCli | None = None  # configured by `cluster config` of c1
    config_dir: Path | None = None

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.server.url}{path}", headers=LATEST, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_status(self, name: str, status: str, timeout: float = 120) -> dict[str, Any]:

        def shown() -> dict[str, Any] | None:
            response = httpx.get(f"{self.server.url}/v1/clusters/{name}", headers=LATEST)
            if response.status_code == 404 and status == "DELETE_COMPLETE":
                return None  # gone: done
            body: dict[str, Any] = response.json()
            assert not str(body.get("status", "")).endswith("_FAILED"), body
            return body

        found = wait_until(shown, timeout, f"{name} {status}",
                           until=lambda body: body is None or body.get("status") == status,
                           interval=0.2)  # fmt: skip
        return found or {}

    def state(self, name: str) -> dict[str, Any]:
        """The local driver's state file of cluster `name`."""
        path = Path(self.settings.state_dir) / "clusters" / self.clusters[name] / "state.json"
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def leftover_dirs(self, name: str) -> list[Path]:
        state = self.state(name)
        return [
            Path(self.settings.state_dir) / "clusters" / state["uuid"],
            Path(self.settings.run_dir) / state["key"],
        ]

    def configure(self, name: str, directory: Path) -> DockerCli:
        """`eval $(openstack coe cluster config NAME --dir DIR ...)`, then a docker CLI."""
        directory.mkdir(parents=True, exist_ok=True)
        out = self.coe.run(
            "cluster", "config", name, "--dir", str(directory), "--output-certs",
            "--use-certificate", "--force",
        ).stdout  # fmt: skip
        env = {k: v for k, v in exports(out).items() if v}
        assert env["DOCKER_HOST"].startswith("tcp://127.0.0.1:"), out
        return DockerCli(self.tmp, None, None, env)


@contextmanager
def served_world(tmp: Path, name: str) -> Iterator[World]:
    """A world: a server on an address pool and a run dir of its own, c1 and plain made with
    the client, the docker CLI configured for c1. Whatever is left is removed after."""
    pool = free_test_pool()
    run_dir = f"/run/dyc-{os.getpid()}-{name}"
    sections: dict[str, dict[str, Any]] = {
        "local_driver": {"address_pool": pool, "run_dir": run_dir},
        # Node certificates shorter-lived than their CA, so a renewal moves their expiry.
        "x509": {"node_term_of_validity": 30},
    }
    settings = LocalSettings(
        state_dir=str(tmp / "state" / "local_driver"), run_dir=run_dir, address_pool=pool
    )
    server = start_server(tmp, sections=sections)
    port = int(server.url.rsplit(":", 1)[1])
    made = World(tmp, sections, settings, server, Coe(server.url), port)
    try:
        create_clusters(made)
        made.config_dir = tmp / "c1-config"
        made.docker = made.configure("c1", made.config_dir)
        yield made
    finally:
        made.server.stop()
        remove_clusters(settings)  # whatever a failed test left
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True)


def ready_nodes(docker: DockerCli, quiet: bool = False) -> dict[str, str]:
    """Hostname -> status from `docker node ls`; with `quiet`, {} while the API fails."""
    listed = docker.run("node", "ls", "--format", "{{.Hostname}} {{.Status}}", check=not quiet)
    return dict(line.split() for line in listed.stdout.splitlines() if line.strip())


def running_tasks(docker: DockerCli, service: str) -> list[str]:
    lines = docker.lines(
        "service", "ps", service, "--filter", "desired-state=running",
        "--format", "{{.Name}} {{.Node}} {{.CurrentState}}",
    )  # fmt: skip
    return [line for line in lines if " Running " in f" {line} "]


def loop_backing_files() -> list[str]:
    return [line.split("(", 1)[-1].rstrip(")") for line in sh("losetup", "-a").splitlines()]


def create_clusters(world: World) -> None:
    """c1 and plain, made with the client from two templates."""
    coe = world.coe
    common = ["--coe", "swarm-mode", "--image", "dockyard-node", "--external-network", "public"]
    coe.run("cluster", "template", "create", "swarm", *common)
    coe.run("cluster", "template", "create", "plain", *common, "--tls-disabled")
    coe.run(
        "cluster", "create", "c1", "--cluster-template", "swarm", "--node-count", "2",
        "--docker-volume-size", "1",
    )  # fmt: skip
    coe.run("cluster", "create", "plain", "--cluster-template", "plain", "--node-count", "0")
    c1 = world.wait_status("c1", "CREATE_COMPLETE")  # how fast: bench/local_cluster.py
    world.clusters["c1"] = c1["uuid"]
    world.clusters["plain"] = world.wait_status("plain", "CREATE_COMPLETE")["uuid"]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The world the looking tests share; none of them changes a cluster."""
    with served_world(tmp_path_factory.mktemp("local-client"), "shared") as made:
        yield made


def start_web(docker: DockerCli, name: str) -> None:
    """A 3-replica dnsrr service `name`, one task on each node of c1 once it runs."""
    image = docker.run("image", "ls", "--no-trunc", "-q", "dockyard/busybox:1").stdout.strip()
    assert image.startswith("sha256:")
    docker.run(
        "service", "create", "--detach", "--name", name, "--replicas", "3",
        "--endpoint-mode", "dnsrr", image, *SERVICE_CMD,
    )  # fmt: skip
    wait_for(lambda: len(running_tasks(docker, name)) == 3, 60, f"3 running tasks of {name}")


def manual_certificate(world: World, directory: Path) -> dict[str, Path]:
    """The seed's manual path: openssl key + CSR, `ca sign c1`, `ca show c1` as the CA."""
    directory.mkdir()
    (directory / "client.conf").write_text(CLIENT_CONF)
    subprocess.run(["openssl", "genrsa", "-out", "key.pem", "4096"], cwd=directory,
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(
        ["openssl", "req", "-new", "-days", "365", "-config", "client.conf", "-key", "key.pem",
         "-out", "client.csr"], cwd=directory, check=True, capture_output=True,
    )  # fmt: skip
    signed = world.coe.run("ca", "sign", "c1", str(directory / "client.csr")).stdout
    (directory / "cert.pem").write_text(signed)
    (directory / "ca.pem").write_text(world.coe.run("ca", "show", "c1").stdout)
    return {"tlscacert": directory / "ca.pem", "tlscert": directory / "cert.pem",
            "tlskey": directory / "key.pem"}  # fmt: skip


# -- issue 3: create, config, service ---------------------------------------------------
def test_create_clusters_with_the_client(shared: World) -> None:
    shown = shared.coe.json("cluster", "show", "c1")
    assert shown["status"] == "CREATE_COMPLETE"
    assert shown["api_address"].startswith("tcp://127.0.0.1:")
    assert len(shown["master_addresses"]) == 1 and len(shown["node_addresses"]) == 2
    assert shown["coe_version"] and shown["container_version"]
    assert shown["docker_volume_size"] == 1


def test_cluster_config_then_the_docker_cli_runs_a_service(shared: World) -> None:
    docker, config_dir = shared.docker, shared.config_dir  # `cluster config c1 --dir ...`
    assert docker is not None and config_dir is not None
    assert docker.env["DOCKER_TLS_VERIFY"] == "True" or docker.env["DOCKER_TLS_VERIFY"] == "1"
    assert sorted(p.name for p in config_dir.iterdir()) == ["ca.pem", "cert.pem", "key.pem"]
    assert ready_nodes(docker) == {"c1-master-0": "Ready", "c1-node-0": "Ready",
                                   "c1-node-1": "Ready"}  # fmt: skip
    start_web(docker, "web-config")
    nodes = {line.split()[1] for line in running_tasks(docker, "web-config")}
    assert nodes == {"c1-master-0", "c1-node-0", "c1-node-1"}


def test_each_node_has_its_data_root_on_a_loop_mounted_ext4_volume(shared: World) -> None:
    world = shared
    state = world.state("c1")
    assert state["volume_gib"] == 1
    cluster_dir = Path(world.settings.state_dir) / "clusters" / state["uuid"]
    for node in state["nodes"]:
        data_root = cluster_dir / "nodes" / node["name"] / "data"
        # Inside the node's mount namespace only: the host sees an empty directory.
        mount = sh("nsenter", "-t", str(node["pid"]), "-m", "findmnt", "-n", "-o",
                   "SOURCE,FSTYPE,SIZE", "--mountpoint", str(data_root)).split()  # fmt: skip
        assert mount[0].startswith("/dev/loop") and mount[1] == "ext4", mount
        assert mount[2].endswith("M") and 900 < float(mount[2][:-1]) <= 1024, mount
        image = cluster_dir / "nodes" / node["name"] / "volume.img"
        assert image.stat().st_size == 2**30 and image.stat().st_blocks * 512 < 2**30  # sparse
    assert sum(str(cluster_dir) in f for f in loop_backing_files()) == 3
    assert str(cluster_dir) not in Path("/proc/self/mountinfo").read_text()


def test_tls_refuses_no_certificate_and_another_clusters_certificate(
    shared: World, tmp_path: Path
) -> None:
    world = shared
    assert world.docker is not None and world.config_dir is not None
    ca_only = {"tlscacert": world.config_dir / "ca.pem"}
    direct = DockerCli(world.tmp, world.docker.env["DOCKER_HOST"], None)
    refused = direct.run("node", "ls", tls=ca_only, check=False)
    assert refused.returncode != 0 and "certificate" in refused.stderr.lower(), refused.stderr
    other = generate_ca("another-cluster")
    stranger = issue(other, "intruder", client=True)
    files = {"tlscacert": world.config_dir / "ca.pem"}
    for name, data in (("tlscert", stranger.cert_pem), ("tlskey", stranger.key_pem)):
        files[name] = tmp_path / f"stranger-{name}.pem"
        files[name].write_bytes(data)
    refused = direct.run("node", "ls", tls=files, check=False)
    assert refused.returncode != 0, refused.stdout
    assert "certificate" in refused.stderr.lower() or "tls" in refused.stderr.lower()


# -- issue 4: ca show, the manual path ----------------------------------------------------
def test_ca_show_is_the_api_certificate(shared: World) -> None:
    world = shared
    shown = world.coe.run("ca", "show", "c1").stdout
    api = world.get(f"/v1/certificates/{world.clusters['c1']}")
    assert shown.strip() == api["pem"].strip()
    assert (world.config_dir or world.tmp).joinpath("ca.pem").read_text().strip() == shown.strip()


def test_manual_key_csr_and_ca_sign(shared: World, tmp_path: Path) -> None:
    manual = manual_certificate(shared, tmp_path / "manual")
    subject = sh("openssl", "x509", "-noout", "-subject", "-in", str(manual["tlscert"]))
    assert "Your Name" in subject
    api_address = shared.get(f"/v1/clusters/{shared.clusters['c1']}")["api_address"]
    docker = DockerCli(shared.tmp, api_address, manual)
    assert len(ready_nodes(docker)) == 3


# -- TLS disabled ---------------------------------------------------------------------------
def test_tls_disabled_cluster_is_plain_tcp_on_loopback(shared: World, tmp_path: Path) -> None:
    out = shared.coe.run("cluster", "config", "plain", "--dir", str(tmp_path / "plain")).stdout
    env = {k: v for k, v in exports(out).items() if v}
    assert env["DOCKER_HOST"].startswith("tcp://127.0.0.1:") and "DOCKER_TLS_VERIFY" not in env
    plain = DockerCli(shared.tmp, None, None, env)
    assert ready_nodes(plain) == {"plain-master-0": "Ready"}
    assert not (tmp_path / "plain" / "cert.pem").exists()


# -- a cluster's life: one story on a world of its own (why: the module's docstring) ---------
@pytest.mark.timeout(600)  # about 75 s; the default 300 s is tight on a loaded 2-core CI
def test_a_clusters_life(tmp_path: Path) -> None:
    """Scale, rotate the CA, renew node certificates, restart the machine, delete."""
    with served_world(tmp_path, "life") as world:
        assert world.docker is not None
        start_web(world.docker, "web")
        scale_2_to_3_to_1_with_the_client(world)
        manual = manual_certificate(world, tmp_path / "manual")
        ca_rotate_refuses_old_certificates_and_a_fresh_config_works(world, manual)
        renew_node_certificates_keeps_client_certificates(world)
        machine_restart_brings_the_cluster_back_and_orphans_are_swept(world)
        delete_leaves_nothing_behind(world)


def scale_2_to_3_to_1_with_the_client(world: World) -> None:
    docker = world.docker
    assert docker is not None
    world.coe.run("cluster", "update", "c1", "--node-count", "3")
    world.wait_status("c1", "UPDATE_COMPLETE")
    wait_for(lambda: len(ready_nodes(docker)) == 4, 30, "4 nodes")
    assert set(ready_nodes(docker).values()) == {"Ready"}
    cluster_dir = Path(world.settings.state_dir) / "clusters" / world.clusters["c1"]
    assert sum(str(cluster_dir) in f for f in loop_backing_files()) == 4

    # c1-node-2 is new and idle, so it goes first; the second one runs a task of `web`.
    world.coe.run("cluster", "resize", "c1", "1")
    shown = world.wait_status("c1", "UPDATE_COMPLETE")
    assert shown["node_count"] == 1 and len(shown["node_addresses"]) == 1
    assert "were running tasks: c1-node-1" in shown["status_reason"], shown["status_reason"]
    timeline = world.get(f"/v1/clusters/{world.clusters['c1']}/events")["events"]
    warnings = [e["message"] for e in timeline if e["level"] == "WARNING"]
    assert any("c1-node-1" in m and "web." in m for m in warnings), warnings
    assert ready_nodes(docker) == {"c1-master-0": "Ready", "c1-node-0": "Ready"}
    wait_for(lambda: len(running_tasks(docker, "web")) == 3, 60, "web back to 3 tasks")
    wait_for(
        lambda: sum(str(cluster_dir) in f for f in loop_backing_files()) == 2,
        10,
        "the removed nodes' loop devices to go",
    )


def ca_rotate_refuses_old_certificates_and_a_fresh_config_works(
    world: World, manual: dict[str, Path]
) -> None:
    old = world.docker
    assert old is not None and world.config_dir is not None
    api_address = world.get(f"/v1/clusters/{world.clusters['c1']}")["api_address"]
    old_ca = (world.config_dir / "ca.pem").read_text()
    world.coe.run("ca", "rotate", "c1")
    world.wait_status("c1", "UPDATE_COMPLETE", timeout=120)
    shown = world.get(f"/v1/clusters/{world.clusters['c1']}")
    assert shown["api_address"] == api_address  # the loopback endpoint survived the restart
    assert "CA rotated" in shown["status_reason"]

    fresh = world.configure("c1", world.tmp / "c1-config-rotated")
    new_ca = world.tmp / "c1-config-rotated" / "ca.pem"
    assert new_ca.read_text() != old_ca
    both = {"c1-master-0": "Ready", "c1-node-0": "Ready"}
    wait_for(lambda: ready_nodes(fresh, quiet=True) == both, 30, f"node ls to show {both}")

    # The old files as they are: the client does not even trust the node any more.
    refused = old.run("node", "ls", check=False)
    assert refused.returncode != 0 and "certificate" in refused.stderr.lower()
    # Old client certificates with the new CA: the cluster refuses them.
    direct = DockerCli(world.tmp, api_address, None)
    for label, files in (("cluster config", world.config_dir), ("manual", None)):
        tls = (
            {"tlscert": files / "cert.pem", "tlskey": files / "key.pem"}
            if files is not None
            else {k: v for k, v in manual.items() if k != "tlscacert"}
        )
        refused = direct.run("node", "ls", tls={"tlscacert": new_ca, **tls}, check=False)
        assert refused.returncode != 0, f"{label}: {refused.stdout}"
        # TLS 1.3: the server checks the client certificate after the handshake and resets.
        reasons = ("certificate", "tls", "connection reset")
        assert any(r in refused.stderr.lower() for r in reasons), refused.stderr
    wait_for(lambda: len(running_tasks(fresh, "web")) == 3, 60, "web back to 3 tasks")
    world.docker = fresh


# -- node certificate renewal ----------------------------------------------------------------
def served_certificate(address: str, port: int, certs: Path) -> x509.Certificate:
    """The server certificate a node's dockerd serves now (a TLS handshake with `certs`)."""
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    context.check_hostname = False
    context.load_cert_chain(str(certs / "cert.pem"), str(certs / "key.pem"))
    with (
        socket.create_connection((address, port), timeout=10) as raw,
        context.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def renew_node_certificates_keeps_client_certificates(world: World) -> None:
    docker = world.docker
    assert docker is not None
    cluster = world.clusters["c1"]
    certs = Path(docker.env["DOCKER_CERT_PATH"])
    api_address = world.get(f"/v1/clusters/{cluster}")["api_address"]
    loopback_port = int(api_address.rsplit(":", 1)[1])
    nodes = {n["hostname"]: n["address"] for n in world.state("c1")["nodes"]}
    before = {name: served_certificate(address, 2376, certs) for name, address in nodes.items()}
    listed = world.get(f"/v1/clusters/{cluster}/certificates")["certificates"]
    listed_nodes = {c["name"]: c for c in listed if c["kind"] == "node"}
    assert set(listed_nodes) == set(nodes)
    for name, served in before.items():  # what the API shows is what the nodes serve
        assert listed_nodes[name]["serial"] == format(served.serial_number, "x")
        assert listed_nodes[name]["not_after"] == served.not_valid_after_utc.isoformat()
        assert listed_nodes[name]["days_left"] == 29  # [x509] node_term_of_validity = 30
    ca_pem = (certs / "ca.pem").read_text()

    renewed = httpx.post(
        f"{world.server.url}/v1/clusters/c1/actions/renew_certificates", headers=LATEST, timeout=30
    )
    assert renewed.status_code == 202, renewed.text
    shown = world.wait_status("c1", "UPDATE_COMPLETE", timeout=120)
    assert shown["status_reason"].startswith("node certificates renewed"), shown["status_reason"]
    assert shown["api_address"] == api_address

    after = {name: served_certificate(address, 2376, certs) for name, address in nodes.items()}
    for name in nodes:
        assert after[name].serial_number != before[name].serial_number, name
        assert after[name].not_valid_after_utc > before[name].not_valid_after_utc, name
        assert after[name].issuer == before[name].issuer
    master = next(name for name in nodes if "master" in name)
    on_loopback = served_certificate("127.0.0.1", loopback_port, certs)
    assert on_loopback.serial_number == after[master].serial_number
    listed = world.get(f"/v1/clusters/{cluster}/certificates")["certificates"]
    assert {c["name"]: c["serial"] for c in listed if c["kind"] == "node"} == {
        name: format(cert.serial_number, "x") for name, cert in after.items()
    }
    # The CA stayed: the client certificate `cluster config` gave before still works.
    assert world.coe.run("ca", "show", "c1").stdout.strip() == ca_pem.strip()
    both = {"c1-master-0": "Ready", "c1-node-0": "Ready"}
    wait_for(lambda: ready_nodes(docker, quiet=True) == both, 30, f"node ls to show {both}")
    wait_for(lambda: len(running_tasks(docker, "web")) == 3, 60, "web back to 3 tasks")


# -- restarts ---------------------------------------------------------------------------------
def kill_all(cgroup: str) -> set[int]:
    """kill -9 every process in `cgroup` (and below); returns the PIDs that were there."""
    found = cgroups.pids(cgroup)
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return found


def _make_orphan(settings: LocalSettings) -> tuple[str, dict[str, Any]]:
    """A cluster the database never heard of: state, bridge and a node namespace."""
    store = StateStore(settings)
    nodes = NodeManager(settings, store)
    orphan = str(uuid.uuid4())
    state = nodes.new_state(orphan, tls=False, storage_driver=settings.storage_driver)
    node = state.add_node(MANAGER, "orphan")
    store.save(state)
    nodes.ensure_network(state)
    sh("ip", "netns", "add", state.netns(node))
    return orphan, state.to_dict()


def machine_restart_brings_the_cluster_back_and_orphans_are_swept(world: World) -> None:
    docker = world.docker
    assert docker is not None
    orphan, orphan_state = _make_orphan(world.settings)
    state = world.state("c1")
    cluster_cgroup = f"dockyard/{state['key']}"
    world.server.stop()
    # A machine restart: every node process dies at once (kill -9), namespaces, the bridge
    # and /run are gone.
    wait_for(lambda: not kill_all(cluster_cgroup), 10, "the node processes to die")
    for node in state["nodes"]:
        sh("ip", "netns", "del", f"dockyard-{state['key']}-{node['name']}")
    sh("ip", "link", "del", "dev", f"dyb{state['key']}")
    sh("rm", "-rf", str(Path(world.settings.run_dir) / state["key"]))
    cluster_dir = Path(world.settings.state_dir) / "clusters" / state["uuid"]
    wait_for(
        lambda: not any(str(cluster_dir) in f for f in loop_backing_files()),
        10,
        "the volumes' loop devices to clear themselves",
    )
    assert docker.run("node", "ls", check=False).returncode != 0

    world.server = start_server(world.tmp, sections=world.sections, port=world.port)
    world.coe = Coe(world.server.url)
    both = {"c1-master-0": "Ready", "c1-node-0": "Ready"}
    wait_for(
        lambda: ready_nodes(docker, quiet=True) == both,
        60,
        f"c1 back after the restart: {both}",
    )
    # The service (raft state on the nodes' volumes) is back too.
    wait_for(lambda: len(running_tasks(docker, "web")) == 3, 60, "web back")
    log = world.server.log.read_text()
    assert "restarted c1-master-0, c1-node-0 from their data-roots" in log, log[-3000:]

    wait_for(lambda: f"orphan cluster {orphan}" in world.server.log.read_text(), 30, "sweep")
    dirs = [Path(world.settings.state_dir) / "clusters" / orphan,
            Path(world.settings.run_dir) / orphan_state["key"]]  # fmt: skip
    assert leftovers(orphan_state, dirs) == []


def delete_leaves_nothing_behind(world: World) -> None:
    states = {name: world.state(name) for name in ("c1", "plain")}
    dirs = {name: world.leftover_dirs(name) for name in states}
    world.coe.run("cluster", "delete", "c1", "plain")
    for name in states:
        world.wait_status(name, "DELETE_COMPLETE", timeout=60)
    for name, state in states.items():
        assert leftovers(state, dirs[name]) == [], name
    assert not any(world.settings.state_dir in f for f in loop_backing_files())
    assert world.settings.state_dir not in Path("/proc/self/mountinfo").read_text()
    assert routes_in(world.settings.address_pool) == []  # only the pool's blackhole is left
    assert not Path(world.settings.run_dir).exists()
