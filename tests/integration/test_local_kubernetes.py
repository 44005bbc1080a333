"""Acceptance of issue 12: the user guide's Kubernetes flow on a real local cluster.

The real `openstack coe` client against a real `dockyard` process whose `k8s_local` driver
builds Kubernetes 1.20 (from Debian's sources, scripts/build-kubernetes) in namespaces on
this machine, and Debian's kubectl 1.20 against it: a 1 master + 2 node cluster, `cluster
config`, nodes Ready, a Deployment across both nodes, a Service, logs and exec, the manual
`ca sign` path; a nodegroup with its node labels and taints (issue 17: create, relabel,
delete drained); then resize 2 -> 1 (the node with pods is drained), `ca rotate` (the old
kubeconfig is refused) and delete leaving nothing on the host.

Needs root, Debian's docker.io and scripts/install-kubernetes (require_host: fails under
CI=true without them). Traffic goes to 127.0.0.1 and to the namespaces these tests create.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, start_server
from harness.host import require_host
from local_host import Coe, free_test_pool, leftovers, remove_clusters, sh, wait_for

from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.kube_local.binaries import KubeBinaries

KUBECTL = KubeBinaries().path("kubectl")


pytestmark = [pytest.mark.client, require_host("root", "docker", "kubernetes")]

OPENSTACK = str(Path(sys.executable).parent / "openstack")
WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      # Workers only, so the tainted master is no spreading domain (Kubernetes 1.20 counts
      # tainted nodes as domains but skips those nodeSelector excludes).
      nodeSelector: {magnum.openstack.org/role: worker}
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
         labelSelector: {matchLabels: {app: web}}}
      containers:
      - name: httpd
        image: dockyard/busybox:1
        imagePullPolicy: Never
        command: ["sh", "-c", "mkdir -p /www && echo hello-from-$(hostname) > /www/index.html
          && echo started-on-$(hostname) && exec httpd -f -p 8080 -h /www"]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""
# The seed's client.conf for a manually made key and CSR; O=system:masters makes the signed
# certificate an administrator of the cluster (Kubernetes RBAC reads groups from O).
CLIENT_CONF = """[req]
distinguished_name = req_distinguished_name
req_extensions     = req_ext
prompt = no
[req_distinguished_name]
O = system:masters
CN = Your Name
[req_ext]
extendedKeyUsage = clientAuth
"""


class Kubectl:
    """Debian's kubectl 1.20 with one kubeconfig."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig

    def run(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [KUBECTL, "--kubeconfig", str(self.kubeconfig), "--request-timeout", "20s", *args],
            capture_output=True,
            text=True,
            input=stdin,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.kubeconfig.parent)},
        )
        if check:
            assert proc.returncode == 0, f"kubectl {' '.join(args)}: {proc.stderr}"
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def ready_nodes(self) -> dict[str, bool]:
        nodes = self.json("get", "nodes")["items"]
        return {
            n["metadata"]["name"]: any(
                c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]
            )
            for n in nodes
        }

    def pods(self, selector: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.json("get", "pods", "-l", selector)["items"]
        return items


@dataclass
class Cluster:
    """One cluster, the server that made it and the files of its user."""

    tmp: Path
    server: Server
    settings: LocalSettings
    coe: Coe
    name: str = "k1"
    uuid: str = ""
    kubectl: Kubectl | None = None

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.server.url}{path}", headers=LATEST, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_status(self, status: str, timeout: float = 240) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            response = httpx.get(f"{self.server.url}/v1/clusters/{self.name}", headers=LATEST)
            if response.status_code == 404 and status == "DELETE_COMPLETE":
                return {"status": status}
            body: dict[str, Any] = response.json()
            assert not str(body.get("status", "")).endswith("_FAILED"), body
            return body if body.get("status") == status else None

        result: dict[str, Any] = wait_for(reached, timeout, f"{self.name} to reach {status}")
        return result

    def state(self) -> dict[str, Any]:
        path = Path(self.settings.state_dir) / "clusters" / self.uuid / "state.json"
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def configure(self, directory: Path) -> Kubectl:
        """`openstack coe cluster config NAME --dir DIR`, as the guide does."""
        directory.mkdir(parents=True, exist_ok=True)
        out = self.coe.run(
            "cluster", "config", self.name, "--dir", str(directory), "--force"
        ).stdout
        assert "KUBECONFIG" in out, out
        return Kubectl(directory / "config")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("local-k8s")
    pool = free_test_pool()
    run_dir = f"/run/dyk-{os.getpid()}"
    settings = LocalSettings(
        state_dir=str(tmp / "state" / "local_driver"), run_dir=run_dir, address_pool=pool
    )
    server = start_server(
        tmp, sections={"local_driver": {"address_pool": pool, "run_dir": run_dir}}
    )
    made = Cluster(tmp, server, settings, Coe(server.url))
    try:
        made.coe.run(
            "cluster", "template", "create", "k8s", "--coe", "kubernetes",
            "--image", "dockyard-node", "--external-network", "public",
        )  # fmt: skip
        build(made)
        yield made
    finally:
        made.server.stop()
        remove_clusters(settings)
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True)


def build(cluster: Cluster) -> Cluster:
    """Create `cluster.name` (1 master + 2 nodes) with the client and configure kubectl."""
    cluster.coe.run(
        "cluster", "create", cluster.name, "--cluster-template", "k8s", "--node-count", "2"
    )
    cluster.uuid = cluster.wait_status("CREATE_COMPLETE")["uuid"]
    cluster.kubectl = cluster.configure(cluster.tmp / cluster.name)
    return cluster


def test_cluster_show_has_a_kubernetes_api_on_loopback(cluster: Cluster) -> None:
    shown = cluster.coe.json("cluster", "show", "k1")
    # The nodegroup test may have run first: adding a group is an update of the cluster.
    assert shown["status"] in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}, shown["status_reason"]
    assert shown["api_address"].startswith("https://127.0.0.1:"), shown["api_address"]
    assert shown["coe_version"].startswith("v1.20"), shown["coe_version"]
    assert len(shown["master_addresses"]) == 1 and len(shown["node_addresses"]) == 2


def test_kubectl_sees_three_ready_nodes(cluster: Cluster) -> None:
    assert cluster.kubectl is not None
    assert cluster.kubectl.ready_nodes() == {
        "k1-master-0": True,
        "k1-node-0": True,
        "k1-node-1": True,
    }


def test_a_deployment_runs_across_both_nodes_behind_a_service(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    assert kubectl is not None
    kubectl.run("apply", "-f", "-", stdin=WEB)
    kubectl.run("rollout", "status", "deployment/web", "--timeout=120s")
    pods = kubectl.pods("app=web")
    assert {p["spec"]["nodeName"] for p in pods} == {"k1-node-0", "k1-node-1"}
    first = pods[0]["metadata"]["name"]
    assert "started-on-" in kubectl.run("logs", first).stdout
    assert kubectl.run("exec", first, "--", "hostname").stdout.strip() == first
    service_ip = kubectl.json("get", "service", "web")["spec"]["clusterIP"]
    request = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {service_ip} 80"
    answers = {
        kubectl.run("exec", first, "--", "sh", "-c", request).stdout.strip().splitlines()[-1]
        for _ in range(8)
    }
    # Served through kube-proxy by pods on both nodes (the other pod answers across nodes).
    assert answers <= {f"hello-from-{p['metadata']['name']}" for p in pods}, answers
    assert answers, "the service did not answer"


def test_the_guides_manual_key_and_ca_sign_give_a_certificate_kubectl_accepts(
    cluster: Cluster,
) -> None:
    manual = cluster.tmp / "manual"
    manual.mkdir()
    (manual / "client.conf").write_text(CLIENT_CONF)
    subprocess.run(["openssl", "genrsa", "-out", "key.pem", "2048"], cwd=manual, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run(
        ["openssl", "req", "-new", "-days", "365", "-config", "client.conf", "-key", "key.pem",
         "-out", "client.csr"], cwd=manual, check=True, capture_output=True,
    )  # fmt: skip
    (manual / "cert.pem").write_text(
        cluster.coe.run("ca", "sign", "k1", str(manual / "client.csr")).stdout
    )
    (manual / "ca.pem").write_text(cluster.coe.run("ca", "show", "k1").stdout)
    api = cluster.get(f"/v1/clusters/{cluster.uuid}")["api_address"]
    (manual / "config").write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "k1", "cluster": {
                    "server": api, "certificate-authority": str(manual / "ca.pem")}}],
                "users": [{"name": "me", "user": {
                    "client-certificate": str(manual / "cert.pem"),
                    "client-key": str(manual / "key.pem")}}],
                "contexts": [{"name": "k1", "context": {"cluster": "k1", "user": "me"}}],
                "current-context": "k1",
            }
        )
    )  # fmt: skip
    assert len(Kubectl(manual / "config").ready_nodes()) == 3


def test_a_nodegroup_gets_its_labels_and_taints_and_goes_drained(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    assert kubectl is not None
    cluster.coe.run(
        "nodegroup", "create", "k1", "gpu", "--node-count", "1", "--node-labels", "accel=gpu",
        "--node-taints", "dedicated=gpu:NoSchedule",
    )  # fmt: skip

    def group(status: str) -> bool:
        response = httpx.get(f"{cluster.server.url}/v1/clusters/k1/nodegroups/gpu", headers=LATEST)
        if response.status_code == 404:
            return status == "GONE"
        shown = str(response.json()["status"])
        assert not shown.endswith("_FAILED"), response.text
        return shown == status

    wait_for(lambda: group("CREATE_COMPLETE"), 240, "nodegroup gpu created")

    def pool() -> list[dict[str, Any]]:
        selector = "magnum.openstack.org/nodegroup=gpu"
        items: list[dict[str, Any]] = kubectl.json("get", "nodes", "-l", selector)["items"]
        return items

    [node] = pool()
    name = node["metadata"]["name"]
    assert kubectl.ready_nodes()[name] is True
    labels = node["metadata"]["labels"]
    assert (labels["accel"], labels["magnum.openstack.org/role"]) == ("gpu", "worker")
    taints = [(t["key"], t.get("value"), t["effect"]) for t in node["spec"].get("taints", [])]
    assert ("dedicated", "gpu", "NoSchedule") in taints, taints
    defaults = kubectl.json("get", "nodes", "-l", "magnum.openstack.org/nodegroup=default-worker")
    assert {n["metadata"]["name"] for n in defaults["items"]} == {"k1-node-0", "k1-node-1"}

    cluster.coe.run(
        "nodegroup", "update", "k1", "gpu", "--node-labels", "accel=tpu", "--node-taints", ""
    )
    wait_for(lambda: group("UPDATE_COMPLETE"), 120, "nodegroup gpu relabelled")
    [node] = pool()
    assert node["metadata"]["labels"]["accel"] == "tpu"
    # Only the group's taints are Dockyard's: the node's own (node.kubernetes.io/*, set while
    # a loaded kubelet is late with its status) come and go.
    ours = [t["key"] for t in node["spec"].get("taints", [])]
    assert [k for k in ours if not k.startswith("node.kubernetes.io/")] == []

    state = cluster.state()
    recorded = next(n for n in state["nodes"] if n["hostname"] == name)
    assert recorded["nodegroup"] == cluster.get("/v1/clusters/k1/nodegroups/gpu")["uuid"]
    cluster.coe.run("nodegroup", "delete", "k1", "gpu")
    wait_for(lambda: group("GONE"), 240, "nodegroup gpu deleted")
    assert pool() == []
    assert set(kubectl.ready_nodes()) == {"k1-master-0", "k1-node-0", "k1-node-1"}
    assert f"dockyard-{state['key']}-{recorded['name']} " not in sh("ip", "netns", "list") + " "
    node_dir = Path(cluster.settings.state_dir) / "clusters" / cluster.uuid / "nodes"
    assert not (node_dir / recorded["name"]).exists()
    assert [n["name"] for n in cluster.state()["nodes"] if n.get("nodegroup")] == []


def test_resize_drains_then_ca_rotate_refuses_the_old_kubeconfig_then_delete_leaves_nothing(
    cluster: Cluster,
) -> None:
    # A cluster of its own: the module's k1 stays for the tests that only read it.
    cluster = build(dataclasses.replace(cluster, name="k2", uuid="", kubectl=None))
    kubectl = cluster.kubectl
    assert kubectl is not None
    kubectl.run("apply", "-f", "-", stdin=WEB)
    kubectl.run("rollout", "status", "deployment/web", "--timeout=120s")
    # Both nodes run a pod of `web`: the newest (k2-node-1) goes, drained first.
    cluster.coe.run("cluster", "resize", "k2", "1")
    shown = cluster.wait_status("UPDATE_COMPLETE")
    assert shown["node_count"] == 1 and len(shown["node_addresses"]) == 1
    assert "were running pods: k2-node-1" in shown["status_reason"], shown["status_reason"]
    assert set(kubectl.ready_nodes()) == {"k2-master-0", "k2-node-0"}

    def serving() -> list[dict[str, Any]]:
        return [
            p
            for p in kubectl.pods("app=web")
            if p["status"]["phase"] == "Running" and not p["metadata"].get("deletionTimestamp")
        ]

    wait_for(lambda: len(serving()) == 2, 120, "web back to 2 running pods")
    assert {p["spec"]["nodeName"] for p in serving()} == {"k2-node-0"}

    cluster.coe.run("ca", "rotate", "k2")
    cluster.wait_status("UPDATE_COMPLETE")
    refused = kubectl.run("get", "nodes", check=False)
    assert refused.returncode != 0
    assert "certificate" in refused.stderr.lower() or "unauthorized" in refused.stderr.lower()
    fresh = cluster.configure(cluster.tmp / "k2-rotated")
    wait_for(lambda: all(fresh.ready_nodes().values()), 120, "nodes Ready after the rotation")
    assert len(fresh.ready_nodes()) == 2

    state = cluster.state()
    dirs = [
        Path(cluster.settings.state_dir) / "clusters" / cluster.uuid,
        Path(cluster.settings.run_dir) / state["key"],
    ]
    cluster.coe.run("cluster", "delete", "k2")
    cluster.wait_status("DELETE_COMPLETE")
    assert leftovers(state, dirs) == []
    losetup = sh("losetup", "-a")
    assert str(dirs[0]) not in losetup


def test_a_template_the_driver_cannot_build_is_refused_at_create(cluster: Cluster) -> None:
    response = httpx.post(
        f"{cluster.server.url}/v1/clustertemplates",
        headers=LATEST,
        json={
            "name": "k8s-plain",
            "coe": "kubernetes",
            "image_id": "dockyard-node",
            "external_network_id": "public",
            "tls_disabled": True,
        },
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert "TLS" in response.text and "k8s_local" in response.text, response.text
