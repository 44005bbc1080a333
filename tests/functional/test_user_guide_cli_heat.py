"""Every CLI example of the user guide (seed 002), run as written with the legacy `magnum`
command of python-magnumclient 4.11 against Dockyard in Keystone mode with the four Heat
drivers (real Heat 27.0.1 and Keystone 30.0.0; leaf infrastructure types map to the stand-ins
of tests/heat_standins), each step judged by its effect: the status Dockyard's API reaches,
the real stack's outputs, files written, list contents.

The guide's transcripts (harness/user_guide.py) are the standalone module's
(tests/integration/test_user_guide_cli.py), and so are its three liberties: `mytemplate` is
made a Swarm template like the guide's own, the legacy client does not create
`cluster-config --dir`'s directory, and 4.11 prints a deprecation warning on stdout before
`ca-show`'s PEM. Two more here:
- every cluster-create of the guide is started by one module fixture, side by side (Heat
  builds them concurrently); each test then walks its own cluster through the guide's later
  commands and deletes it, so the tests do not depend on each other's order;
- the Cinder and Rexray examples reuse the names of the Kubernetes and Mesos examples
  (`k8s-cluster-template`, `mesos-cluster`), so they run as bob, in project-b, where the
  names are free.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, start_server, subprocess_env
from harness.heat import HeatServer, heat_sections
from harness.keystone import KeystoneCloud
from harness.user_guide import (
    CINDER_CLUSTER,
    CINDER_TEMPLATE,
    CLIENT_CONF,
    INTRO_CREATE,
    K8S_CLUSTER,
    K8S_TEMPLATE,
    KEY_AND_CSR,
    MESOS_API,
    MESOS_CLUSTER,
    MESOS_TEMPLATE,
    MYTEMPLATE,
    REXRAY_CLUSTER,
    REXRAY_TEMPLATE,
    SECURE_CLUSTER,
    SECURE_TEMPLATE,
    SWARM_CLUSTER,
    SWARM_TEMPLATE,
    legacy_magnum,
)
from harness.waiting import wait_until
from openstack import connection

from dockyard.providers.openstack.orchestration import Orchestration, Stack

pytest_plugins = ["harness.fixtures"]
pytestmark = [pytest.mark.client, pytest.mark.keystone, pytest.mark.heat]

SETTLE_TIMEOUT = 200.0

# The guide's creates, each (account, cluster, its template's command, its create command).
CREATES = {
    "mycluster": ("alice", MYTEMPLATE, INTRO_CREATE),
    "k8s-cluster": ("alice", K8S_TEMPLATE, K8S_CLUSTER),
    "swarm-cluster": ("alice", SWARM_TEMPLATE, SWARM_CLUSTER),
    "mesos-cluster": ("alice", MESOS_TEMPLATE, MESOS_CLUSTER),
    "secure-k8s-cluster": ("alice", SECURE_TEMPLATE, SECURE_CLUSTER),
    "cinder:k8s-cluster": ("bob", CINDER_TEMPLATE, CINDER_CLUSTER),
    "rexray:mesos-cluster": ("bob", REXRAY_TEMPLATE, REXRAY_CLUSTER),
}


@dataclass
class User:
    """One Keystone user pasting the guide's snippets in a directory of their own."""

    server: Server
    workdir: Path
    env: dict[str, str]
    token: str
    heat: Orchestration

    def run(self, snippet: str) -> str:
        """Run `snippet` in bash as a user would paste it; stdout and stderr together."""
        done = subprocess.run(
            ["bash", "-c", snippet],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.stdout + done.stderr

    def get(self, path: str) -> httpx.Response:
        headers = {**LATEST, "X-Auth-Token": self.token}
        return httpx.get(f"{self.server.url}/v1/{path}", headers=headers, timeout=30)

    def cluster(self, name: str) -> dict[str, Any] | None:
        response = self.get(f"clusters/{name}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def settled(self, name: str) -> dict[str, Any]:
        def shown() -> dict[str, Any] | None:
            body = self.cluster(name)
            if body is None or body["status"].endswith("_IN_PROGRESS"):
                return None
            return body

        return wait_until(shown, SETTLE_TIMEOUT, f"cluster {name} to settle", interval=0.5)

    def delete(self, name: str) -> None:
        """The guide's `cluster-delete`: the cluster and its stack are gone."""
        stack_id = self.cluster(name)["cluster_id"]  # type: ignore[index]
        self.run(f"magnum cluster-delete {name}")
        wait_until(lambda: self.cluster(name) is None, SETTLE_TIMEOUT, f"{name} deleted")
        stack = self.heat.find(stack_id)
        assert stack is None or stack.status == "DELETE_COMPLETE", stack
        assert name not in self.cluster_names()

    def stack(self, cluster: dict[str, Any]) -> Stack:
        stack = self.heat.find(cluster["cluster_id"])
        assert stack is not None, cluster
        return stack

    def cluster_names(self) -> set[str]:
        return {c["name"] for c in self.get("clusters").json()["clusters"]}


@dataclass
class World:
    users: dict[str, User]
    created: dict[str, tuple[str, str]]  # key of CREATES -> (template's, create's output)


@pytest.fixture(scope="module")
def world(
    keystone: KeystoneCloud, heat: HeatServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Dockyard in keystone mode with the Heat drivers, a shell per user with the legacy
    `magnum` on its PATH (OS_* password login, catalog lookup), and every cluster-create of
    the guide started side by side."""
    magnum = legacy_magnum()
    tmp = tmp_path_factory.mktemp("user-guide-heat")
    server = start_server(tmp, sections=heat_sections(keystone), port=keystone.dockyard_port)
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "magnum").symlink_to(magnum)
    base = {k: v for k, v in subprocess_env().items() if not k.startswith("OS_")}
    base["PATH"] = f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    users = {}
    for name in ("alice", "bob"):
        account = keystone.accounts[name]
        workdir = tmp / name
        workdir.mkdir()
        conn = connection.Connection(session=account.session(), region_name="RegionOne")
        env = {**base, **account.os_env()}
        users[name] = User(server, workdir, env, account.token(), Orchestration(conn))

    def create(key: str) -> tuple[str, str]:
        user, template, cluster = CREATES[key]
        return users[user].run(template), users[user].run(cluster)

    try:
        with ThreadPoolExecutor(len(CREATES)) as pool:
            created = dict(zip(CREATES, pool.map(create, CREATES), strict=True))
        yield World(users, created)
    finally:
        for user in users.values():  # whatever a failed test left
            for name in user.cluster_names():
                user.run(f"magnum cluster-delete {name}")
        for user in users.values():
            wait_until(user.cluster_names, SETTLE_TIMEOUT, "leftovers deleted", until=_empty)
        server.stop()


def _empty(names: set[str]) -> bool:
    return not names


def accepted(world: World, key: str) -> User:
    """The user of `key`'s example, after checking its template and create were accepted."""
    template_out, create_out = world.created[key]
    assert "Request to create cluster" in create_out and "accepted" in create_out, (
        template_out + create_out
    )
    return world.users[CREATES[key][0]]


def built(user: User, name: str, masters: int, nodes: int) -> dict[str, Any]:
    """`name` reached CREATE_COMPLETE with the real stack's addresses."""
    cluster = user.settled(name)
    assert cluster["status"] == "CREATE_COMPLETE", cluster["status_reason"]
    stack = user.stack(cluster)
    assert stack.status == "CREATE_COMPLETE", stack
    assert cluster["master_count"] == masters and cluster["node_count"] == nodes
    assert cluster["master_addresses"] == stack.outputs["master_addresses"]
    assert cluster["node_addresses"] == stack.outputs["node_addresses"]
    assert len(cluster["master_addresses"]) == masters
    assert len(cluster["node_addresses"]) == nodes
    return cluster


def table_value(output: str, field: str) -> str:
    """A field of the legacy client's `cluster-show` table."""
    row = next(line for line in output.splitlines() if line.startswith(f"| {field} "))
    return row.split("|")[2].strip()


def exports(output: str) -> dict[str, str]:
    """The `export NAME=value` lines `cluster-config` prints."""
    return dict(re.findall(r"^export (\w+)=(.*)$", output, re.MULTILINE))


def verifies(user: User, ca: str, cert: str) -> bool:
    done = subprocess.run(
        ["openssl", "verify", "-CAfile", ca, cert], cwd=user.workdir, capture_output=True
    )
    return done.returncode == 0


# -- the steps, each on its own cluster -------------------------------------------------------
def test_client_version(world: World) -> None:
    assert world.users["alice"].run("magnum --version").strip().endswith("4.11.0")


def test_cluster_lifecycle_of_the_overview(world: World) -> None:
    """cluster-create (3 masters, 8 nodes), list, show, update to 8 (no change) and to 2
    (the scaling section), delete: every step seen in Dockyard's API and the real stack."""
    user = accepted(world, "mycluster")
    template = user.get("clustertemplates/mytemplate").json()
    assert template["driver"] == "swarm_fedora_atomic", template
    created = built(user, "mycluster", 3, 8)

    listed = user.run("magnum cluster-list")
    row = next(line for line in listed.splitlines() if " mycluster " in line)
    assert "CREATE_COMPLETE" in row and " 8 " in row and " 3 " in row, listed
    shown = user.run("magnum cluster-show mycluster")
    assert table_value(shown, "status") == "CREATE_COMPLETE", shown
    assert table_value(shown, "api_address") == created["api_address"], shown

    user.run("magnum cluster-update mycluster replace node_count=8")
    same = user.settled("mycluster")
    assert same["node_count"] == 8 and same["node_addresses"] == created["node_addresses"]

    user.run("magnum cluster-update mycluster replace node_count=2")
    scaled = user.settled("mycluster")
    assert scaled["status"] == "UPDATE_COMPLETE", scaled["status_reason"]
    assert scaled["node_count"] == 2 and len(scaled["node_addresses"]) == 2
    assert scaled["node_addresses"] == user.stack(scaled).outputs["node_addresses"]
    user.delete("mycluster")


def test_kubernetes_example(world: World) -> None:
    user = accepted(world, "k8s-cluster")
    template = user.get("clustertemplates/k8s-cluster-template").json()
    assert template["driver"] == "k8s_fedora_atomic", template
    assert template["network_driver"] == "flannel" and template["docker_volume_size"] == 5
    assert template["dns_nameserver"] == "8.8.8.8"
    cluster = built(user, "k8s-cluster", 3, 8)
    assert cluster["api_address"].startswith("https://")
    user.delete("k8s-cluster")


def test_swarm_example_and_its_cluster_config(world: World) -> None:
    """The Swarm example, then `cluster-config --dir`: the CA, key and signed certificate
    written, and the environment pointing the docker CLI at the cluster's API address."""
    user = accepted(world, "swarm-cluster")
    template = user.get("clustertemplates/swarm-cluster-template").json()
    assert template["driver"] == "swarm_fedora_atomic" and template["docker_volume_size"] == 5
    cluster = built(user, "swarm-cluster", 3, 8)
    (user.workdir / "myclusterconfig").mkdir()
    out = user.run("magnum cluster-config swarm-cluster --dir myclusterconfig")
    env = exports(out)
    assert env["DOCKER_HOST"] == cluster["api_address"], out
    assert env["DOCKER_TLS_VERIFY"] == "True", out
    assert Path(env["DOCKER_CERT_PATH"]) == user.workdir / "myclusterconfig"
    assert verifies(user, "myclusterconfig/ca.pem", "myclusterconfig/cert.pem")
    key = (user.workdir / "myclusterconfig" / "key.pem").read_text()
    assert "PRIVATE KEY" in key
    user.delete("swarm-cluster")


def test_mesos_example(world: World) -> None:
    """The Mesos example, and its `API_ADDRESS=$(magnum cluster-show ... | awk ...)`."""
    user = accepted(world, "mesos-cluster")
    template = user.get("clustertemplates/mesos-cluster-template").json()
    assert template["driver"] == "mesos_ubuntu", template
    cluster = built(user, "mesos-cluster", 3, 8)
    found = user.run(MESOS_API + '\necho "API_ADDRESS=[$API_ADDRESS]"')
    assert f"API_ADDRESS=[{cluster['api_address']}]" in found.splitlines(), found
    user.delete("mesos-cluster")


def test_secure_kubernetes_example(world: World) -> None:
    """The TLS section on its Kubernetes cluster: key and CSR, ca-sign, ca-show (the signed
    certificate verifies against the CA), cluster-config (a kubeconfig for the cluster's
    API), ca-rotate (a new CA; the old certificate no longer verifies, a new one does)."""
    user = accepted(world, "secure-k8s-cluster")
    cluster = built(user, "secure-k8s-cluster", 1, 1)
    user.run(CLIENT_CONF + "\n" + KEY_AND_CSR)
    assert (user.workdir / "client.csr").is_file()
    user.run("magnum ca-sign --cluster secure-k8s-cluster --csr client.csr > cert.pem")
    user.run("magnum ca-show --cluster secure-k8s-cluster > ca.pem")
    assert verifies(user, "ca.pem", "cert.pem")
    old_ca = (user.workdir / "ca.pem").read_text()

    (user.workdir / "kubeconfig").mkdir()
    out = user.run("magnum cluster-config secure-k8s-cluster --dir kubeconfig")
    env = exports(out)
    assert Path(env["KUBECONFIG"]) == user.workdir / "kubeconfig" / "config", out
    config = Path(env["KUBECONFIG"]).read_text()
    assert f"server: {cluster['api_address']}" in config, config
    assert verifies(user, "kubeconfig/ca.pem", "kubeconfig/cert.pem")

    # 4.11 fails to read the 202's body of ca-rotate after the request was accepted; the
    # effect is what counts.
    user.run("magnum ca-rotate --cluster secure-k8s-cluster")
    rotated = user.settled("secure-k8s-cluster")
    assert rotated["status"] == "UPDATE_COMPLETE", rotated["status_reason"]
    user.run("magnum ca-show --cluster secure-k8s-cluster > ca.pem")
    assert (user.workdir / "ca.pem").read_text() != old_ca
    assert not verifies(user, "ca.pem", "cert.pem")
    user.run("magnum ca-sign --cluster secure-k8s-cluster --csr client.csr > cert.pem")
    assert verifies(user, "ca.pem", "cert.pem")
    user.delete("secure-k8s-cluster")


def test_cinder_example(world: World) -> None:
    """The Cinder volume driver's template (the guide's fedora-23-atomic-7 image) and its
    one-node cluster, built by Heat with the volume driver in the stack's parameters."""
    user = accepted(world, "cinder:k8s-cluster")
    template = user.get("clustertemplates/k8s-cluster-template").json()
    assert template["volume_driver"] == "cinder" and template["driver"] == "k8s_fedora_atomic"
    built(user, "k8s-cluster", 1, 1)
    user.delete("k8s-cluster")


def test_rexray_example(world: World) -> None:
    user = accepted(world, "rexray:mesos-cluster")
    template = user.get("clustertemplates/mesos-cluster-template").json()
    assert template["volume_driver"] == "rexray" and template["driver"] == "mesos_ubuntu"
    assert template["labels"]["rexray_preempt"] == "true" and template["tls_disabled"]
    built(user, "mesos-cluster", 1, 1)
    user.delete("mesos-cluster")
