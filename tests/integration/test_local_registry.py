"""registry_enabled in the `local` driver: a per-cluster registry, against real dockerds.

A 1-master + 2-worker TLS cluster whose template enables the registry. Debian's
docker-registry runs in a namespace of its own on the cluster bridge, with a server
certificate from the cluster CA, and takes only clients with a certificate of that CA (the
nodes). An image tagged and pushed through DOCKER_HOST runs as a service on workers that
never had it (they pull it), and a Docker Hub name is pulled through the registry as the
nodes' mirror. Health watches the registry; delete removes it. Needs root, docker.io and
docker-registry (scripts/install-docker); skips otherwise. Traffic goes to 127.0.0.1 and the
namespaces this test creates.

The 3-node cluster (`world`, module) is only used, never changed in a way another test could
see: each test pushes under names of its own. The tests that kill the registry or delete the
cluster make a one-node cluster of their own (`solo`, about 2 s).
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
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
    sh,
    wait_for,
    write_client,
)

from dockyard.certs.x509 import KeyPair, generate_ca, issue
from dockyard.drivers.base import ClusterSpec, Outcome
from dockyard.drivers.swarm_local.driver import LocalDriver
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.docker_local.network import assert_routed_via

pytestmark = require_host("root", "docker", "docker-registry")


class World:
    """One registry-enabled cluster, its CA and an admin docker CLI on its DOCKER_HOST."""

    def __init__(
        self, driver: LocalDriver, spec: ClusterSpec, cli: DockerCli, tmp: Path, ca: KeyPair
    ) -> None:
        self.driver, self.spec, self.cli, self.tmp, self.ca = driver, spec, cli, tmp, ca
        self.state: dict[str, Any] = dict(spec.driver_state)

    @property
    def registry(self) -> str:
        return f"{self.state['subnet'].rsplit('.', 1)[0]}.2:5000"

    def node_cli(self, name: str) -> DockerCli:
        """The docker CLI on one node's own TLS address (route checked first)."""
        node = next(n for n in self.state["nodes"] if n["name"] == name)
        assert_routed_via(node["address"], f"dyb{self.state['key']}")
        return DockerCli(self.tmp, f"tcp://{node['address']}:2376", self.cli.tls)


@dataclass
class Host:
    """The module's driver (its own address pool and run dir) and a folder for client files."""

    driver: LocalDriver
    tmp: Path


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    tmp = tmp_path_factory.mktemp("local-registry")
    pool = free_test_pool()
    settings = LocalSettings(
        state_dir=str(tmp / "state"), run_dir=f"/run/dockyard-reg-{os.getpid()}",
        address_pool=pool,
    )  # fmt: skip
    try:
        yield Host(LocalDriver(settings), tmp)
    finally:  # after every cluster of the module is deleted (function fixtures end first)
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True, check=False)


@contextmanager
def registry_cluster(host: Host, name: str, workers: int) -> Iterator[World]:
    """A registry-enabled TLS cluster `name` (1 master, `workers` workers), deleted after."""
    ca = generate_ca(f"dockyard-test-{name}")
    spec = make_spec(ca, name=name, workers=workers, template={"registry_enabled": True})
    result = host.driver.create_cluster(CTX, spec)
    spec = replace(spec, driver_state=result.driver_state or {})
    try:
        assert result.outcome is Outcome.COMPLETE, result.reason
        assert result.facts is not None and result.facts.api_address
        client = write_client(host.tmp / name, ca, issue(ca, "admin", client=True))
        cli = DockerCli(host.tmp, result.facts.api_address, client)
        made = World(host.driver, spec, cli, host.tmp, ca)
        yield made
        spec = made.spec
    finally:
        host.driver.delete_cluster(CTX, spec)  # a no-op once the test deleted it


@pytest.fixture(scope="module")
def world(host: Host) -> Iterator[World]:
    """1 master + 2 workers, shared: tests push and run under names of their own."""
    with registry_cluster(host, "reg", workers=2) as made:
        yield made


@pytest.fixture
def solo(host: Host) -> Iterator[World]:
    """A one-node registry cluster of the test's own, for the tests that break or delete it."""
    with registry_cluster(host, "solo", workers=0) as made:
        yield made


def test_the_registry_runs_beside_the_nodes_with_cluster_tls(world: World) -> None:
    state = world.state
    assert state["registry"] and state["registry_pid"]
    assert f"dockyard-{state['key']}-registry" in sh("ip", "netns", "list")
    host, port = world.registry.split(":")
    assert_routed_via(host, f"dyb{state['key']}")
    context = ssl.create_default_context(cadata=world.ca.cert_pem.decode())
    # The server certificate is the cluster CA's, for the registry's address...
    with (
        socket.create_connection((host, int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(b"GET /v2/ HTTP/1.0\r\n\r\n")
        # ...and without a client certificate of that CA the registry answers nothing.
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            if not tls.recv(100):
                raise ConnectionResetError("closed")
    info = world.node_cli("w0").run("info", "--format", "{{json .RegistryConfig.Mirrors}}")
    assert f"https://{world.registry}/" in info.stdout


def test_push_through_docker_host_and_workers_pull(world: World) -> None:
    image = world.state["image_id"]
    app = f"{world.registry}/team/app:1"
    world.cli.run("tag", image, app)
    pushed = world.cli.run("push", app)
    assert "digest: sha256:" in pushed.stdout, pushed.stdout
    # w0 and w1 never had this tag: their tasks run only if they pull it from the registry.
    world.cli.run(
        "service", "create", "--detach", "--name", "app", "--replicas", "2",
        "--constraint", "node.role==worker", "--endpoint-mode", "dnsrr", app, *SERVICE_CMD,
    )  # fmt: skip

    def running() -> set[str]:
        lines = world.cli.lines("service", "ps", "app", "--filter", "desired-state=running",
                                "--format", "{{.Node}} {{.CurrentState}}")  # fmt: skip
        return {line.split()[0] for line in lines if " Running " in f" {line} "}

    wait_for(lambda: running() == {"reg-node-0", "reg-node-1"}, 60, "app running on both workers")
    for name in ("w0", "w1"):  # swarm pulls by digest: the repository is there, untagged
        repos = world.node_cli(name).lines("image", "ls", "--format", "{{.Repository}}")
        assert app.rsplit(":", 1)[0] in repos


def test_docker_hub_names_come_through_the_mirror(world: World) -> None:
    image = world.state["image_id"]
    world.cli.run("tag", image, f"{world.registry}/library/mirrored:1")
    world.cli.run("push", f"{world.registry}/library/mirrored:1")
    worker = world.node_cli("w1")
    pulled = worker.run("pull", "mirrored:1")  # docker.io/library/mirrored:1, via the mirror
    assert "Downloaded newer image for mirrored:1" in pulled.stdout, pulled.stdout


def test_health_watches_the_registry_and_create_restarts_it(solo: World) -> None:
    kept = f"{solo.registry}/team/kept:1"
    solo.cli.run("tag", solo.state["image_id"], kept)
    solo.cli.run("push", kept)
    health = solo.driver.check_health(CTX, solo.spec)
    assert (
        health is not None and health.status == "HEALTHY" and health.reason["registry"] == "Ready"
    )
    os.kill(solo.state["registry_pid"], signal.SIGKILL)
    health = wait_for(
        lambda: (h := solo.driver.check_health(CTX, solo.spec)) and h.status != "HEALTHY" and h,
        10,
        "UNHEALTHY",
    )
    assert health.reason["registry"].startswith("the registry is not running"), health.reason
    healed = solo.driver.create_cluster(CTX, solo.spec)
    assert healed.outcome is Outcome.COMPLETE, healed.reason
    solo.spec = replace(solo.spec, driver_state=healed.driver_state or {})
    solo.state = dict(solo.spec.driver_state)
    solo.cli.run("image", "rm", kept)  # the tag only: the pull must ask the registry
    pulled = solo.node_cli("m0").run("pull", kept)
    assert pulled.returncode == 0  # the images survived the restart


def test_delete_removes_the_registry(solo: World) -> None:
    state = solo.state
    settings = solo.driver.settings
    deleted = solo.driver.delete_cluster(CTX, solo.spec)
    assert deleted.outcome is Outcome.COMPLETE and deleted.reason == "deleted", deleted.reason
    dirs = [Path(settings.state_dir) / "clusters" / solo.spec.uuid,
            Path(settings.run_dir) / state["key"]]  # fmt: skip
    assert leftovers(state, dirs) == []
    assert not Path(f"/proc/{state['registry_pid']}").exists()
