"""The Heat Kubernetes drivers' server script, run for real (issue 12).

`kubernetes-node.sh` (what every k8s_fedora_atomic / k8s_coreos server runs) gets the bundle
`dockyard.drivers.heat.kubernetes.render` makes from the one node definition, inside a local
node namespace of the k8s_local machinery (kube_node.sh confines the node and runs the
script as KUBE_SETUP). systemd is the STAND-IN of tests/heat_standins/systemctl: it runs the
units the script writes. Heat's wait condition is a recorder on 127.0.0.1 inside each node's
network namespace, which asks the real API whether the node is Ready when the signal
arrives. The worker starts first: it must not signal before the master exists and it is
Ready.

Needs root, Debian's docker.io and scripts/install-kubernetes (require_host).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from harness.host import require_host
from local_host import free_test_pool, make_spec, remove_clusters, wait_for

from dockyard.certs.x509 import KeyPair, generate_ca, issue
from dockyard.drivers.heat import kubernetes, node_bundle
from dockyard.drivers.heat.template_def import HEAT_TEMPLATES
from dockyard.drivers.k8s_local.layout import KubeState
from dockyard.drivers.k8s_local.nodes import KubeNodes
from dockyard.drivers.k8s_local.settings import KubeSettings
from dockyard.drivers.kube_node import config as kube
from dockyard.drivers.swarm_local.layout import MANAGER, WORKER, Node
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.docker_local import cgroups, daemon, network, procs
from dockyard.providers.kube_local import node as kube_node

pytestmark = [require_host("root", "docker", "kubernetes")]

STANDINS = Path(__file__).resolve().parents[1] / "heat_standins"
SCRIPT = HEAT_TEMPLATES / "fragments" / "scripts" / "kubernetes-node.sh"
SIGNAL_PORT = 18_080
# The wait condition's endpoint: records each POST and whether the API then reported the
# node Ready (asked as the cluster's admin), one JSON line per signal.
RECORDER = r"""
import json, ssl, sys, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
port, out, ca, cert, key, api, node = sys.argv[1:8]

def ready():
    # The admin files of the moment (a CA rotation replaces them).
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(cert, key)
    try:
        with urllib.request.urlopen(f"{api}/api/v1/nodes/{node}", context=context, timeout=5) as r:
            conditions = json.load(r)["status"].get("conditions") or []
    except Exception as exc:
        return f"no answer: {exc}"
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        record = {"path": self.path, "body": json.loads(body), "ready": ready()}
        with open(out, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
"""


@dataclass
class HeatNode:
    node: Node
    dir: Path
    ref: procs.ProcessRef | None = None

    def signals(self) -> list[dict[str, object]]:
        path = self.dir / "signals.jsonl"
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []

    @property
    def systemctl_calls(self) -> list[str]:
        path = self.dir / "systemctl.log"
        return path.read_text().splitlines() if path.exists() else []


@dataclass
class Cluster:
    nodes: KubeNodes
    state: KubeState
    cas: kube.ClusterCAs
    admin: dict[str, Path]
    master: HeatNode
    worker: HeatNode
    recorders: list[subprocess.Popen[bytes]]
    shape: kube.ClusterShape | None = None


def _fragment(role: str) -> str:
    """kubernetes-node.sh as the drivers' *-config.yaml make it (their str_replace)."""
    text = SCRIPT.read_text()
    for key, value in {"@ROLE@": role, "@KUBE_TAG@": "v1.20.2", "@HTTP_PROXY@": "",
                       "@HTTPS_PROXY@": "", "@NO_PROXY@": ""}.items():  # fmt: skip
        text = text.replace(key, value)
    return text


def _render(cluster: Cluster, heat: HeatNode) -> None:
    """The node's bundle from the cluster's CAs of the moment, where write-bundle.sh puts it."""
    nodes, state, node = cluster.nodes, cluster.state, heat.node
    assert cluster.shape is not None
    engine = nodes.engine(state, node)
    dockerd = [*daemon.command(engine, socket_activated=False), *kubernetes.DOCKERD_FLAGS]
    files = kubernetes.render(
        cluster.shape, nodes.member(state, node), nodes.dirs(state, node), cluster.cas, 30,
        dockerd,
    )  # fmt: skip
    dockyard_dir = heat.dir / "dockyard"
    dockyard_dir.mkdir(parents=True, exist_ok=True)
    (dockyard_dir / "node-bundle").write_text(node_bundle.encode(files))


def _prepare(cluster: Cluster, heat: HeatNode) -> None:
    """The node's network, cgroup, bundle, wait-condition command and signal recorder."""
    nodes, state, node = cluster.nodes, cluster.state, heat.node
    assert cluster.shape is not None
    network.ensure_node_link(
        state.netns(node), state.veth(node), state.bridge, state.interface(node), state.marker
    )
    cgroups.create(state.cgroup(node))
    engine = nodes.engine(state, node)
    os.makedirs(engine.etc_docker, mode=0o700, exist_ok=True)
    daemon.write_options(engine)
    _render(cluster, heat)
    (heat.dir / "dockyard" / "wait-condition").write_text(
        "curl -i -X POST -H 'Content-Type: application/json' "
        f"http://127.0.0.1:{SIGNAL_PORT}/signal/{node.hostname}\n"
    )
    role = "master" if node.role == MANAGER else "node"
    (heat.dir / "fragment.sh").write_text(_fragment(role))
    recorder = heat.dir / "recorder.py"
    recorder.write_text(RECORDER)
    api = f"https://{cluster.shape.api_host}:{kube.API_PORT}"
    admin = cluster.admin
    cluster.recorders.append(subprocess.Popen([
        "ip", "netns", "exec", state.netns(node), sys.executable, str(recorder), str(SIGNAL_PORT),
        str(heat.dir / "signals.jsonl"), str(admin["ca"]), str(admin["cert"]), str(admin["key"]),
        api, node.hostname,
    ]))  # fmt: skip


def _setup_command(heat: HeatNode) -> str:
    """The fragment as cloud-init would run it, with the stand-ins' settings."""
    return " ".join([
        f"PATH={STANDINS}:/usr/sbin:/usr/bin:/sbin:/bin",
        f"DOCKYARD_DIR={heat.dir / 'dockyard'}",
        f"SYSTEMD_UNIT_DIR={heat.dir / 'units'}",
        f"SYSTEMCTL_STATE={heat.dir / 'systemctl'}",
        f"SYSTEMCTL_LOG={heat.dir / 'systemctl.log'}",
        "READY_TIMEOUT=240",
        f"bash {heat.dir / 'fragment.sh'} >>{heat.dir / 'fragment.log'} 2>&1",
    ])  # fmt: skip


def _launch(cluster: Cluster, heat: HeatNode) -> None:
    """kube_node.sh confines the node and runs the fragment (KUBE_SETUP), as cloud-init
    runs a server's user data."""
    nodes, state, node = cluster.nodes, cluster.state, heat.node
    paths = nodes.paths(state, node)
    heat.ref = kube_node.start(
        kube_node.NodeLaunch(
            base=nodes.engine(state, node),
            kube_dir=str(heat.dir / "supervisor"),
            kube_run=paths.run,
            images=(),
            docker_cli=nodes.settings.binaries.docker_cli,
            env={"KUBE_SETUP": _setup_command(heat)},
        )
    )
    node.pid, node.start_time = heat.ref.pid, heat.ref.start_time
    nodes.store.save(state)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("heat-fragment")
    settings = LocalSettings(
        state_dir=str(root / "state"),
        run_dir=f"/run/dyhk{os.getpid()}",
        address_pool=free_test_pool(),
    )
    nodes = KubeNodes(KubeSettings(local=settings))
    cas = kube.ClusterCAs(generate_ca("cluster"), generate_ca("etcd"), generate_ca("proxy"))
    spec = make_spec(cas.ca, name="hk", masters=1, workers=1)
    state = nodes.new_state(spec, None)
    master, worker = state.add_node(MANAGER, "hk"), state.add_node(WORKER, "hk")
    nodes.store.save(state)
    admin_pair = issue(cas.ca, "admin", organization="system:masters", client=True)
    admin = _write_admin(root / "admin", cas.ca, admin_pair)
    built = Cluster(
        nodes, state, cas, admin, HeatNode(master, root / "master"),
        HeatNode(worker, root / "worker"), [],
    )  # fmt: skip
    try:
        nodes.ensure_network(state)
        private, public = kubernetes.service_account_key(cas)
        built.shape = kube.ClusterShape(
            uuid=state.uuid,
            masters=(nodes.member(state, master),),
            api_host=master.address,
            service_cidr=state.service_cidr,
            pod_cidr=state.pod_cidr,
            service_account_key=private,
            service_account_pub=public,
        )
        for heat in (built.master, built.worker):
            _prepare(built, heat)
        nodes.ensure_routes(state)
        yield built
    finally:
        for recorder in built.recorders:
            recorder.terminate()
            recorder.wait(10)
        nodes.stop(state, [n for n in (master, worker) if n.pid])
        remove_clusters(settings)
        # The driver keeps its pool's blackhole for good; this pool is the tests' own.
        subprocess.run(["ip", "route", "del", "blackhole", settings.address_pool], check=False)


def _write_admin(directory: Path, ca: KeyPair, pair: KeyPair) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "ca": directory / "ca.pem",
        "cert": directory / "cert.pem",
        "key": directory / "key.pem",
    }
    files["ca"].write_bytes(ca.cert_pem)
    files["cert"].write_bytes(pair.cert_pem)
    files["key"].write_bytes(pair.key_pem)
    return files


@dataclass
class Boot:
    worker_units_before_master: str
    worker_signals_before_master: list[dict[str, object]]
    #: Each node's signals once both had signalled (tests run in random order: the rotation
    #: test adds more later).
    signals: dict[str, list[dict[str, object]]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def booted(cluster: Cluster) -> Boot:
    """The worker first (its kubelet runs, but there is no API to register with yet), then
    the master; both signalled."""
    worker, master = cluster.worker, cluster.master
    _launch(cluster, worker)
    wait_for(
        lambda: any("restart dockyard-kube-proxy.service" in c for c in worker.systemctl_calls),
        60,
        f"the worker's units started (see {worker.dir / 'fragment.log'})",
    )
    boot = Boot((worker.dir / "units" / "dockyard-kubelet.service").read_text(), worker.signals())
    _launch(cluster, master)
    for heat in (master, worker):
        wait_for(heat.signals, 300, f"{heat.node.hostname} signalled (see {heat.dir})")
    boot.signals = {heat.node.hostname: heat.signals() for heat in (master, worker)}
    return boot


def test_servers_signal_their_wait_condition_only_once_their_node_is_ready(
    cluster: Cluster, booted: Boot
) -> None:
    master, worker = cluster.master, cluster.worker
    assert f"--hostname-override={worker.node.hostname}" in booted.worker_units_before_master
    assert booted.worker_signals_before_master == []
    for heat in (master, worker):
        signals = booted.signals[heat.node.hostname]
        assert len(signals) == 1, signals
        assert signals[0]["body"] == {
            "status": "SUCCESS",
            "reason": f"node {heat.node.hostname} Ready",
            "id": heat.node.hostname,
        }
        # The API reported the node Ready when its signal arrived.
        assert signals[0]["ready"] is True, signals
    # The master runs the whole control plane from its units, nothing from kube_node.sh.
    restarts = [c.split()[-1] for c in master.systemctl_calls if c.startswith("systemctl restart")]
    started = restarts[:7]  # the boot's (a rotation restarts them all again)
    assert started == [
        "dockyard-etcd.service", "dockyard-kube-apiserver.service",
        "dockyard-kube-controller-manager.service", "dockyard-kube-scheduler.service",
        "dockyard-dockerd.service", "dockyard-kubelet.service", "dockyard-kube-proxy.service",
    ]  # fmt: skip


def _api_status(cluster: Cluster, ca: Path, cert: Path, key: Path) -> str:
    """HTTP status of GET /api/v1/nodes from the master's namespace ("000": TLS refused)."""
    return subprocess.run(
        ["ip", "netns", "exec", cluster.state.netns(cluster.master.node), "curl", "-s",
         "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", str(ca),
         "--cert", str(cert), "--key", str(key),
         f"https://{cluster.master.node.address}:{kube.API_PORT}/api/v1/nodes"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip


def _later_signals(heat: HeatNode) -> list[dict[str, object]]:
    return heat.signals()[1:]


def test_a_rotated_ca_reaches_the_nodes_through_their_bundles(
    cluster: Cluster, booted: Boot
) -> None:
    """What a REBUILD does on a VM: the script runs again with bundles of new CAs (here in
    the running node's namespaces, its data kept). Each node signals again once Ready with
    its new certificates; the old admin certificate is refused, the new one accepted."""
    old = {name: path.read_bytes() for name, path in cluster.admin.items()}
    old_dir = cluster.admin["ca"].parent.parent / "old-admin"
    old_dir.mkdir()
    old_files = {name: old_dir / path.name for name, path in cluster.admin.items()}
    for name, path in old_files.items():
        path.write_bytes(old[name])
    assert _api_status(cluster, old_files["ca"], old_files["cert"], old_files["key"]) == "200"
    cluster.cas = kube.ClusterCAs(generate_ca("c2"), generate_ca("e2"), generate_ca("p2"))
    new_admin = issue(cluster.cas.ca, "admin", organization="system:masters", client=True)
    _write_admin(cluster.admin["ca"].parent, cluster.cas.ca, new_admin)
    for heat in (cluster.master, cluster.worker):
        _render(cluster, heat)
        assert heat.ref is not None
        # In the node's namespaces and cgroup, in the background as under kube_node.sh.
        join = (
            f"for h in /sys/fs/cgroup/*/; do d=$h{cluster.state.cgroup(heat.node)}/daemon; "
            '[ -d "$d" ] && echo $$ >"$d/cgroup.procs"; done; '
        )
        subprocess.run(
            ["nsenter", "--target", str(heat.ref.pid), "--mount", "--uts", "--net", "--pid",
             "bash", "-c", f"{join}({_setup_command(heat)}) &"],
            check=True, timeout=30,
        )  # fmt: skip
    for heat in (cluster.master, cluster.worker):
        signals: list[dict[str, object]] = wait_for(
            functools.partial(_later_signals, heat), 300, f"{heat.node.hostname} signalled again"
        )
        assert signals[0]["body"] == {
            "status": "SUCCESS",
            "reason": f"node {heat.node.hostname} Ready",
            "id": heat.node.hostname,
        }
        assert signals[0]["ready"] is True, signals
    admin = cluster.admin
    assert _api_status(cluster, admin["ca"], admin["cert"], admin["key"]) == "200"
    # The old CA no longer trusts the API's certificate, nor the API the old admin's.
    assert _api_status(cluster, old_files["ca"], old_files["cert"], old_files["key"]) == "000"
    assert _api_status(cluster, admin["ca"], old_files["cert"], old_files["key"]) == "401"
