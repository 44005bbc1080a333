"""Node lifecycle of local Kubernetes clusters: files, supervisors, routes, load balancer.

Networks, cgroups, volumes and teardown are swarm_local's `NodeManager` (`self.base`); what
differs is what runs in a node: `kube_node.sh` and the components whose files and command
lines come from `dockyard.drivers.kube_node.config`. Every method is an "ensure".
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import ipaddress
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dockyard.certs.x509 import KeyPair
from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.k8s_local.layout import KubePaths, KubeState
from dockyard.drivers.k8s_local.settings import (
    DEFAULT_POD_CIDR,
    DEFAULT_SERVICE_CIDR,
    KubeSettings,
)
from dockyard.drivers.kube_node import config as kube
from dockyard.drivers.swarm_local import steps
from dockyard.drivers.swarm_local.layout import MANAGER, Node, StateStore
from dockyard.drivers.swarm_local.nodes import NodeManager
from dockyard.drivers.swarm_local.steps import NodeStep, no_step
from dockyard.providers.commands import run
from dockyard.providers.docker_local import cgroups, daemon, network, procs
from dockyard.providers.docker_local.image import base_image, pause_image
from dockyard.providers.kube_local import api as kube_api
from dockyard.providers.kube_local import flexvolume, loadbalancer
from dockyard.providers.kube_local import node as kube_node

#: A node's steps while it is built (swarm_local.steps.NETWORK first).
COMPONENTS = "kubelet and components started"
READY = "Ready"
PER_NODE = 3

# dockerd in a Kubernetes node: the kubelet (through dockershim and the bridge CNI plugin)
# wires the pods; dockerd must not touch the node's network.
DOCKERD_FLAGS = (
    "--bridge=none",
    "--iptables=false",
    "--ip-masq=false",
    "--exec-opt",
    "native.cgroupdriver=cgroupfs",
)


def flex_driver_file(dirs: kube.NodeDirs) -> tuple[str, bytes]:
    """Where the kubelet finds the `dockyard/volume` FlexVolume driver (its
    --volume-plugin-dir is `<data>/volume-plugins`), and the file, run by Dockyard's own
    interpreter."""
    path = os.path.join(dirs.data, "volume-plugins", flexvolume.DRIVER_PATH)
    return path, flexvolume.installed_copy(sys.executable)


def ca_fingerprint(ca: KeyPair) -> str:
    return hashlib.sha256(ca.cert_pem).hexdigest()


class KubeNodes:
    """Creates, starts and removes the nodes and load balancer of local Kubernetes clusters."""

    def __init__(self, settings: KubeSettings) -> None:
        self.settings = settings
        self.store = StateStore(settings.local, KubeState)
        self.base = NodeManager(settings.local, self.store)

    # -- state -----------------------------------------------------------------------------
    def load(self, spec: ClusterSpec) -> KubeState | None:
        state = self.store.existing_state(spec.uuid, spec.driver_state)
        assert state is None or isinstance(state, KubeState)
        return state

    def new_state(self, spec: ClusterSpec, volume_gib: int | None) -> KubeState:
        """A state with a free /24 of the pool and the pods' and services' networks."""
        state = self.base.new_state(spec.uuid, True, self.settings.local.storage_driver, volume_gib)
        assert isinstance(state, KubeState)
        labels = spec.labels
        state.pod_cidr = str(
            ipaddress.IPv4Network(labels.get("flannel_network_cidr") or DEFAULT_POD_CIDR)
        )
        state.service_cidr = str(
            ipaddress.IPv4Network(labels.get("service_cluster_ip_range") or DEFAULT_SERVICE_CIDR)
        )
        state.template_id = spec.template.get("uuid")
        self.store.save(state)
        return state

    def paths(self, state: KubeState, node: Node) -> KubePaths:
        paths = self.store.node_paths(state, node)
        return KubePaths(paths.root, paths.exec_root)

    # -- network ---------------------------------------------------------------------------
    def ensure_network(self, state: KubeState) -> None:
        """swarm_local's bridge and pool blackhole, plus blackholes for the pod and service
        networks (they exist only inside the nodes; the host never routes them anywhere)."""
        for cidr in (state.pod_cidr, state.service_cidr):
            net = ipaddress.IPv4Network(cidr)
            with self.store.pool_lock():
                conflicts = network.pool_conflicts(net, "dyb")
                if conflicts:
                    raise network.NetworkError(
                        f"the cluster network {net} overlaps host routes that are not ours: "
                        f"{', '.join(conflicts)}; choose another with the labels "
                        "flannel_network_cidr / service_cluster_ip_range"
                    )
                network.ensure_pool_blackhole(net)
        self.base.ensure_network(state)

    def ensure_routes(self, state: KubeState) -> None:
        """Each node routes every other live node's pod subnet via that node (host-gw), and
        no subnet of a node that is gone."""
        live = state.live_nodes
        pods = ipaddress.IPv4Network(state.pod_cidr)
        for node in live:
            netns = state.netns(node)
            wanted = {state.pod_subnet(o): o.address for o in live if o is not node}
            for route in network.netns_routes(netns):
                dst = str(route.get("dst", ""))
                if "/" not in dst or not ipaddress.IPv4Network(dst).subnet_of(pods):
                    continue
                if route.get("dev") == "cni0":
                    continue  # the node's own pods
                if wanted.get(dst) != route.get("gateway"):
                    run(["ip", "-n", netns, "route", "del", dst])
            for subnet, via in wanted.items():
                run(["ip", "-n", netns, "route", "replace", subnet, "via", via, "dev", "eth0"])

    # -- files -----------------------------------------------------------------------------
    def _service_account_key(self, state: KubeState) -> tuple[bytes, bytes]:
        """The cluster's service-account signing key (made once, kept across CA rotations)."""
        path = os.path.join(self.store.cluster_dir(state.uuid), "sa.key")
        try:
            with open(path, "rb") as handle:
                pem = handle.read()
            key = serialization.load_pem_private_key(pem, password=None)
        except FileNotFoundError:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            _write(path, pem, 0o600)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem, public

    def shape(self, state: KubeState) -> kube.ClusterShape:
        key, public = self._service_account_key(state)
        return kube.ClusterShape(
            uuid=state.uuid,
            masters=tuple(self.member(state, n) for n in state.managers),
            api_host=state.lb_names.address,
            service_cidr=state.service_cidr,
            pod_cidr=state.pod_cidr,
            service_account_key=key,
            service_account_pub=public,
        )

    def member(self, state: KubeState, node: Node) -> kube.Member:
        role = kube.MASTER if node.role == MANAGER else kube.WORKER
        return kube.Member(node.hostname, node.address, role, state.pod_subnet(node))

    def dirs(self, state: KubeState, node: Node) -> kube.NodeDirs:
        paths = self.paths(state, node)
        binaries = self.settings.binaries
        return kube.NodeDirs(
            config=paths.config,
            data=paths.data,
            run=paths.run,
            bin_dir=os.path.realpath(binaries.bin_dir),
            cni_bin=binaries.cni_dir,
            etcd=binaries.tool(binaries.etcd),
            cgroup=state.cgroup(node),
        )

    def engine(self, state: KubeState, node: Node) -> daemon.DaemonConfig:
        """The node's dockerd: swarm_local's node settings without TLS, swarm or plugins."""
        cfg = self.base.config(state, node)
        return dataclasses.replace(cfg, tls=None, options={}, plugins_dir=cfg.plugins_dir)

    def write_files(self, state: KubeState, node: Node, cas: kube.ClusterCAs, days: int) -> None:
        """The node's configuration, certificates (kept when `cas` issued them) and command
        lines, from dockyard.drivers.kube_node.config."""
        dirs = self.dirs(state, node)
        existing = _read_tree(dirs.config, "pki")
        issuer = kube.Issuer(cas, days, existing)
        engine = self.engine(state, node)
        dockerd = [*daemon.command(engine, socket_activated=False), *DOCKERD_FLAGS]
        files = kube.node_files(self.shape(state), self.member(state, node), dirs, issuer, dockerd)
        for relative, (data, mode) in files.files.items():
            _write(os.path.join(dirs.config, relative), data, mode)
        run_dir = os.path.join(dirs.config, "run")  # kube_node.sh starts what is here
        os.makedirs(run_dir, mode=0o700, exist_ok=True)
        for stale in glob.glob(os.path.join(run_dir, "*.args")):
            os.unlink(stale)
        for index, (name, argv) in enumerate(files.commands):
            _write(os.path.join(run_dir, f"{index:02d}-{name}.args"), "\n".join(argv) + "\n", 0o600)
        path, driver = flex_driver_file(dirs)
        _write(path, driver, 0o755)  # Dockyard volumes for pods (k8s_local/volumes.py)
        os.makedirs(engine.etc_docker, mode=0o700, exist_ok=True)
        daemon.write_options(engine)

    # -- nodes -----------------------------------------------------------------------------
    def ensure_running(
        self,
        state: KubeState,
        nodes: list[Node],
        cas: kube.ClusterCAs,
        days: int,
        on_step: NodeStep = no_step,
    ) -> list[Node]:
        """Every node of `nodes` runs with certificates of `cas` (a node running with an older
        CA is restarted); returns the nodes that were (re)started. `on_step` hears of each
        node's network and start."""
        fingerprint = ca_fingerprint(cas.ca)
        stale = [n for n in nodes if self.running(n) and n.ca_fingerprint != fingerprint]
        self.stop(state, stale)
        pause = pause_image(self.settings.binaries.path("pause"))
        images_dir = os.path.join(self.store.cluster_dir(state.uuid), "images")
        pause_archive = _ensure_archive(images_dir, "pause.tar", pause.archive)
        busybox_archive = _ensure_archive(images_dir, "busybox.tar", self._busybox_archive())
        started: list[Node] = []
        for node in nodes:
            network.ensure_node_link(
                state.netns(node), state.veth(node), state.bridge, state.interface(node),
                state.marker,
            )  # fmt: skip
            on_step(node, steps.NETWORK)
            if self.running(node):
                on_step(node, COMPONENTS)
                continue
            self.write_files(state, node, cas, days)
            engine = self.engine(state, node)
            cgroups.kill_all(state.cgroup(node))
            daemon.remove_runtime_files(engine)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(engine.socket_path)
            paths = self.paths(state, node)
            # Left by a killed node: IPAM leases of pods that are gone, and a containerd
            # socket that dockerd would take for a live system containerd and wait on.
            _reset_dir(os.path.join(paths.run, "ipam"))
            _reset_dir(os.path.join(paths.run, "containerd"))
            if engine.volume is not None and state.volume_gib:
                self.base.ensure_volume(engine.volume, state.volume_gib)
            with self.store.pool_lock():
                cgroups.create(state.cgroup(node))
            ref = kube_node.start(
                kube_node.NodeLaunch(
                    base=engine,
                    kube_dir=paths.config,
                    kube_run=paths.run,
                    images=(pause_archive, busybox_archive),
                    docker_cli=self.settings.binaries.docker_cli,
                )
            )
            node.pid, node.start_time = ref.pid, ref.start_time
            node.ca_fingerprint = fingerprint
            self.store.save(state)
            started.append(node)
            on_step(node, COMPONENTS)
        state.ca_fingerprint = fingerprint
        self.ensure_routes(state)
        return started

    def _busybox_archive(self) -> bytes:
        return base_image(self.settings.local.busybox).archive

    def running(self, node: Node) -> bool:
        return self.base.running(node)

    def stop(self, state: KubeState, nodes: list[Node]) -> None:
        """Stop `nodes` (SIGTERM to their supervisors, then whatever is left in their cgroups);
        their files and data stay."""
        refs = [r for r in (self.base.ref(n) for n in nodes) if r is not None]
        procs.terminate(refs, timeout=self.settings.local.shutdown_timeout + 10.0)
        for node in nodes:
            cgroups.kill_all(state.cgroup(node))
            node.pid = node.start_time = None
        if nodes:
            self.store.save(state)

    # -- load balancer -----------------------------------------------------------------------
    def lb_config(self, state: KubeState) -> loadbalancer.LoadBalancerConfig:
        return loadbalancer.LoadBalancerConfig(
            netns=state.lb_names.netns,
            address=state.lb_names.address,
            masters=tuple((n.name, n.address) for n in state.managers),
            directory=os.path.join(self.store.cluster_dir(state.uuid), "lb"),
            haproxy=self.settings.binaries.haproxy,
        )

    def lb_ref(self, state: KubeState) -> procs.ProcessRef | None:
        if state.lb_pid is None or state.lb_start_time is None:
            return None
        return procs.ProcessRef(state.lb_pid, state.lb_start_time)

    def lb_running(self, state: KubeState) -> bool:
        ref = self.lb_ref(state)
        return ref is not None and procs.alive(ref)

    def ensure_lb(self, state: KubeState) -> None:
        """haproxy serves the masters on 127.0.0.1:<api_port> and <lb address>:6443."""
        interface = ipaddress.IPv4Interface(f"{state.lb_names.address}/{state.network.prefixlen}")
        network.ensure_node_link(
            state.lb_names.netns, state.lb_names.veth, state.bridge, interface, state.marker
        )
        if self.lb_running(state):
            return
        cgroups.kill_all(state.lb_names.cgroup)
        with self.store.pool_lock():
            cgroups.create(state.lb_names.cgroup)
        ref, port = loadbalancer.start(self.lb_config(state), state.api_port or 0)
        cgroups.attach(state.lb_names.cgroup, ref.pid)
        state.lb_pid, state.lb_start_time, state.api_port = ref.pid, ref.start_time, port
        self.store.save(state)

    def stop_lb(self, state: KubeState) -> list[str]:
        ref = self.lb_ref(state)
        if ref is not None:
            procs.terminate([ref], timeout=5.0)
        problems = []
        if cgroups.kill_all(state.lb_names.cgroup):
            problems.append(f"load balancer: processes survived SIGKILL in {state.lb_names.cgroup}")
        network.remove_node_link(state.lb_names.netns, state.lb_names.veth, state.marker)
        state.lb_pid = state.lb_start_time = None
        return problems

    # -- the cluster's API -----------------------------------------------------------------
    @contextlib.contextmanager
    def api(
        self, state: KubeState, spec: ClusterSpec, timeout: float = 10.0
    ) -> Iterator[kube_api.KubeApi]:
        """The cluster's API through its loopback endpoint, as the cluster's admin."""
        if spec.ca is None or spec.client is None:
            raise kube_api.KubeApiError("the cluster has no CA or admin certificate")
        directory = os.path.join(self.store.cluster_dir(state.uuid), "admin")
        creds = kube_api.Credentials(
            ca=_write(os.path.join(directory, "ca.pem"), spec.ca.cert_pem, 0o644),
            cert=_write(os.path.join(directory, "cert.pem"), spec.client.cert_pem, 0o644),
            key=_write(os.path.join(directory, "key.pem"), spec.client.key_pem, 0o600),
        )
        with kube_api.connect(f"https://127.0.0.1:{state.api_port}", creds, timeout) as api:
            yield api

    def wait_ready(
        self,
        state: KubeState,
        spec: ClusterSpec,
        nodes: list[Node],
        labels: Callable[[Node], Mapping[str, str]],
        since: float | None = None,
        on_step: NodeStep = no_step,
    ) -> None:
        """Wait until `nodes` are Ready (as reported after `since`, a time.time() taken before
        they were restarted), then label them with their role and `labels(node)` (their
        nodegroup's)."""
        by_name = {n.hostname: n for n in nodes}
        with self.api(state, spec) as api:
            kube_api.wait_nodes_ready(
                api,
                list(by_name),
                self.settings.ready_timeout,
                None if since is None else int(since),
                lambda name: on_step(by_name[name], READY),
            )
            for node in nodes:
                role = "master" if node.role == MANAGER else "worker"
                node_labels = {kube.ROLE_LABEL: role, **labels(node)}
                if role == "master":
                    node_labels["node-role.kubernetes.io/master"] = ""
                api.label(node.hostname, node_labels)


def cluster_cas(spec: ClusterSpec) -> kube.ClusterCAs:
    """The cluster's CAs; a cluster made before it had etcd and front-proxy CAs uses its
    cluster CA for those too."""
    if spec.ca is None:
        raise ValueError("a local Kubernetes cluster needs its CA")
    return kube.ClusterCAs(
        ca=spec.ca,
        etcd=spec.cas.get("etcd_ca") or spec.ca,
        front_proxy=spec.cas.get("front_proxy_ca") or spec.ca,
    )


def _write(path: str, data: bytes | str, mode: int) -> str:
    """Write `path` atomically with `mode` unless it already holds `data`; returns `path`."""
    raw = data.encode() if isinstance(data, str) else data
    with contextlib.suppress(FileNotFoundError), open(path, "rb") as handle:
        if handle.read() == raw:
            os.chmod(path, mode)
            return path
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return path


def _read_tree(root: str, sub: str) -> dict[str, bytes]:
    """Files below `root/sub` by path relative to `root`."""
    found: dict[str, bytes] = {}
    for path in glob.glob(os.path.join(root, sub, "*")):
        with open(path, "rb") as handle:
            found[os.path.relpath(path, root)] = handle.read()
    return found


def _ensure_archive(directory: str, name: str, data: bytes) -> str:
    return _write(os.path.join(directory, name), data, 0o600)


def _reset_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, mode=0o700, exist_ok=True)
