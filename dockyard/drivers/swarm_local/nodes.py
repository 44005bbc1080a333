"""Node lifecycle on this machine: network, certificates, dockerd, and full teardown.

Every method is an "ensure": it looks at what exists and does only what is missing, so a
call repeated after a crash continues where the last one stopped.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
from typing import Any

from dockyard.certs.x509 import KeyPair
from dockyard.drivers.swarm_local import engine
from dockyard.drivers.swarm_local.cluster_registry import ClusterRegistry
from dockyard.drivers.swarm_local.layout import (
    MANAGER,
    ClusterState,
    Node,
    StateStore,
    cluster_key,
)
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.drivers.swarm_local.steps import ENGINE, NETWORK, NodeStep, no_step
from dockyard.drivers.swarm_local.tls import ca_fingerprint, ensure_node_certs, node_tls_files
from dockyard.providers.block_local.mounts import ensure_shared_root
from dockyard.providers.commands import unmount_below
from dockyard.providers.docker_local import cgroups, daemon, network, procs, volumes
from dockyard.providers.docker_local.daemon import DaemonConfig
from dockyard.providers.docker_local.image import BaseImage

# Nodes resolve names against their own loopback, where nothing listens: a pull or a lookup
# fails at once, and no query is ever sent anywhere.
RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
CGROUP_ROOT = "dockyard"
# Seconds for a stopped node's mount namespace to release its volume's loop device.
VOLUME_RELEASE_TIMEOUT = 10.0


class NodeManager:
    """Creates, starts and removes the nodes of local clusters."""

    def __init__(self, settings: LocalSettings, store: StateStore) -> None:
        self.settings = settings
        self.store = store
        self.registry = ClusterRegistry(settings, store)

    # -- allocation -----------------------------------------------------------------------
    def new_state(
        self, uuid: str, tls: bool, storage_driver: str, volume_gib: int | None = None
    ) -> ClusterState:
        """A state with a free /24 of the pool, saved before anything is created."""
        pool = self.settings.pool
        with self.store.pool_lock():
            conflicts = network.pool_conflicts(pool, "dyb")
            if conflicts:
                raise network.NetworkError(
                    f"address_pool {pool} overlaps host routes that are not ours: "
                    f"{', '.join(conflicts)}"
                )
            used = {ipaddress.IPv4Network(s) for s in self.store.subnets_in_use()}
            used |= network.routed_subnets(pool)
            subnet = next((s for s in pool.subnets(new_prefix=24) if s not in used), None)
            if subnet is None:
                raise network.NetworkError(f"address_pool {pool} has no free /24 left")
            state = self.store.state_class(
                uuid, cluster_key(uuid), str(subnet), tls, storage_driver
            )
            state.volume_gib = volume_gib
            self.store.save(state)
        return state

    # -- configuration of one node ----------------------------------------------------------
    def config(self, state: ClusterState, node: Node) -> DaemonConfig:
        paths = self.store.node_paths(state, node)
        return DaemonConfig(
            hostname=node.hostname,
            netns=state.netns(node),
            address=node.address,
            data_root=paths.data_root,
            exec_root=paths.exec_root,
            etc_docker=paths.etc_docker,
            plugins_dir=paths.plugins,
            resolv_conf=self.store.resolv_conf(state),
            log_file=paths.log_file,
            cgroup=state.cgroup(node),
            dockerd=self.settings.dockerd,
            storage_driver=state.storage_driver,
            shutdown_timeout=self.settings.shutdown_timeout,
            tls=node_tls_files(paths.certs) if state.tls else None,
            labels={
                **node.engine_labels,
                "dockyard.cluster": state.uuid,
                "dockyard.node": node.name,
            },
            volume=paths.volume if state.volume_gib else None,
            options=dict(state.daemon_options),
        )

    def config_digest(self, state: ClusterState, node: Node) -> str:
        """What `node` records about the configuration a dockerd started now would have."""
        cfg = self.config(state, node)
        return engine.digest(cfg.storage_driver, cfg.options)

    def ref(self, node: Node) -> procs.ProcessRef | None:
        if node.pid is None or node.start_time is None:
            return None
        return procs.ProcessRef(node.pid, node.start_time)

    def running(self, node: Node) -> bool:
        ref = self.ref(node)
        return ref is not None and procs.alive(ref)

    def client(self, state: ClusterState, node: Node, timeout: float = 60) -> Any:
        return daemon.client(self.config(state, node), timeout)

    # -- network ------------------------------------------------------------------------
    def ensure_network(self, state: ClusterState) -> None:
        """Pool blackhole, the cluster bridge (ours only) and its host firewall rules."""
        with self.store.pool_lock():
            network.ensure_pool_blackhole(self.settings.pool)
        network.ensure_bridge(
            state.bridge, state.gateway, state.marker, adopt_pristine=not state.bridge_ready
        )
        if not state.bridge_ready:
            state.bridge_ready = True
            self.store.save(state)
        network.ensure_firewall(state.bridge)
        resolv = self.store.resolv_conf(state)
        if not os.path.exists(resolv):
            with open(resolv, "w", encoding="ascii") as handle:
                handle.write(RESOLV_CONF)

    # -- nodes --------------------------------------------------------------------------
    def ensure_running(
        self,
        state: ClusterState,
        nodes: list[Node],
        ca: KeyPair | None,
        cert_days: int = 1825,
        on_step: NodeStep = no_step,
    ) -> None:
        """Namespace, certificates (`cert_days` valid) and a live, answering dockerd for each
        of `nodes`; `on_step` hears of each node's network and of each dockerd that answers.

        A running dockerd that serves certificates of another CA (the CA was rotated) is
        restarted from its data-root: dockerd reads its TLS files only when it starts.
        """
        if state.tls and ca is None:
            raise ValueError("the cluster has TLS enabled but no CA was given")
        fingerprint = ca_fingerprint(ca) if state.tls and ca is not None else None
        stale = [
            ref
            for ref, node in ((self.ref(n), n) for n in nodes)
            if ref is not None and procs.alive(ref) and node.ca_fingerprint != fingerprint
        ]
        if stale:  # stopped together, from their data-roots; started again below
            procs.terminate(stale, timeout=self.settings.shutdown_timeout + 10.0)
        if state.rexray and self.settings.volume_root:
            # Volumes the plugin mounts later must propagate into the nodes' mount namespaces,
            # or a container silently gets the empty directory under the mountpoint.
            ensure_shared_root(self.settings.volume_root)
        started: list[tuple[DaemonConfig, procs.ProcessRef]] = []
        for node in nodes:
            network.ensure_node_link(
                state.netns(node), state.veth(node), state.bridge, state.interface(node),
                state.marker,
            )  # fmt: skip
            if state.tls and ca is not None:
                certs = self.store.node_paths(state, node).certs
                ensure_node_certs(ca, certs, node.hostname, node.address, cert_days)
            on_step(node, NETWORK)
            cfg = self.config(state, node)
            ref = self.ref(node)
            if ref is not None and procs.alive(ref):
                started.append((cfg, ref))
                continue
            self.registry.trust(state, node)
            # Whatever a killed dockerd left (containerd, shims, containers) is in its cgroup.
            cgroups.kill_all(state.cgroup(node))
            daemon.remove_runtime_files(cfg)
            if cfg.volume is not None and state.volume_gib:
                self.ensure_volume(cfg.volume, state.volume_gib)
            with self.store.pool_lock():
                cgroups.create(state.cgroup(node))
            # Every manager serves the cluster's loopback port: whichever lives answers it.
            serves_api = node.role == MANAGER
            ref, port = daemon.start(cfg, (state.api_port or 0) if serves_api else None)
            node.pid, node.start_time = ref.pid, ref.start_time
            node.ca_fingerprint = fingerprint
            node.config_digest = engine.digest(cfg.storage_driver, cfg.options)
            if serves_api:
                state.api_port = port
            self.store.save(state)
            started.append((cfg, ref))
        by_hostname = {n.hostname: n for n in nodes}
        daemon.wait_ready(
            started,
            self.settings.start_timeout,
            on_ready=lambda cfg: on_step(by_hostname[cfg.hostname], ENGINE),
        )

    def ensure_volume(self, image: str, size_gib: int) -> None:
        """The node's volume image exists and no earlier mount of it is left."""
        volumes.ensure_image(image, size_gib)
        # The previous dockerd's mount namespace (and with it the mount and its autoclear
        # loop device) goes away shortly after its last process; never mount ext4 twice.
        left = volumes.wait_detached(image, VOLUME_RELEASE_TIMEOUT)
        if left:
            raise volumes.VolumeError(
                f"{image} is still attached to {', '.join(left)} (mounted by a process that "
                "is not the node's); refusing to mount it a second time"
            )

    def ensure_image(self, state: ClusterState, node: Node, image: BaseImage) -> None:
        """Load the base image into `node` unless it already has it."""
        api = self.client(state, node)
        try:
            if image.image_id not in api.api.images(quiet=True, all=True):
                api.images.load(image.archive)
        finally:
            api.close()

    def teardown(self, state: ClusterState, nodes: list[Node], *, graceful: bool) -> list[str]:
        """Stop `nodes` and remove everything they had; returns problems left behind.

        `graceful` gives dockerd SIGTERM and time to stop its containers; otherwise (the whole
        cluster goes, data and all) everything in the node's cgroup is killed at once.
        """
        refs = [r for r in (self.ref(n) for n in nodes) if r is not None]
        procs.terminate(refs, timeout=self.settings.shutdown_timeout + 10.0 if graceful else 0)
        problems: list[str] = []
        for node in nodes:
            path = state.cgroup(node)
            if cgroups.kill_all(path):
                problems.append(f"{node.hostname}: processes survived SIGKILL in {path}")
            network.remove_node_link(state.netns(node), state.veth(node), state.marker)
            paths = self.store.node_paths(state, node)
            left = volumes.wait_detached(paths.volume, VOLUME_RELEASE_TIMEOUT)
            if left:
                volumes.detach(left)
                problems.append(f"{node.hostname}: volume still attached to {', '.join(left)}")
            problems += [f"{node.hostname}: cgroup {d} not removed" for d in cgroups.remove(path)]
            for directory in (paths.root, paths.exec_root, paths.plugins):
                unmount_below(directory)
                shutil.rmtree(directory, ignore_errors=True)
            node.pid = node.start_time = None
            node.ca_fingerprint = node.config_digest = None
        return problems

    def teardown_cluster(self, state: ClusterState) -> list[str]:
        """Remove every node, then the bridge, rules, cgroups and directories of `state`."""
        problems = self.teardown(state, list(state.nodes), graceful=False)
        problems += self.registry.stop(state)
        network.remove_firewall(state.bridge)
        try:
            network.remove_bridge(state.bridge, state.marker)
        except network.NetworkError as exc:
            problems.append(str(exc))
        cluster_cgroup = f"{CGROUP_ROOT}/{state.key}"
        problems += [f"cgroup {d} not removed" for d in cgroups.remove(cluster_cgroup)]
        with self.store.pool_lock():
            cgroups.remove_if_empty(CGROUP_ROOT)
        for directory in (self.store.run_dir(state), self.store.cluster_dir(state.uuid)):
            unmount_below(directory)
            shutil.rmtree(directory, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.rmdir(self.settings.run_dir)  # only when no other cluster uses it
        return problems

    def sweep(self, uuid: str, state: ClusterState | None) -> list[str]:
        """Remove an orphan cluster, ungracefully: whatever its state recorded, and anything
        else named after its key (namespaces, cgroup, bridge) in case the state is lost."""
        if state is None:
            state = ClusterState(uuid, cluster_key(uuid), "0.0.0.0/24", False, "")
        problems: list[str] = []
        cluster_cgroup = f"{CGROUP_ROOT}/{state.key}"
        if cgroups.kill_all(cluster_cgroup):
            problems.append(f"processes survived SIGKILL in {cluster_cgroup}")
        for netns in network.namespaces(f"dockyard-{state.key}-"):
            network.remove_netns(netns)
        return problems + self.teardown_cluster(state)
