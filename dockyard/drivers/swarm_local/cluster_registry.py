"""The cluster registry (registry_enabled): started, trusted by the nodes, stopped.

It listens on REGISTRY_HOST (.2) of the cluster's /24 in a namespace of its own. With TLS,
each node's /etc/docker/certs.d/<address>:5000/ holds the cluster CA and the registry client
certificate, which dockerd reads at every push and pull; the registry also is the nodes'
Docker Hub mirror (engine.daemon_options), which dockerd reads when it starts.
"""

from __future__ import annotations

import ipaddress
import os
import shutil

from dockyard.certs.x509 import KeyPair
from dockyard.drivers.swarm_local.layout import ClusterState, Node, StateStore
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.drivers.swarm_local.tls import (
    ensure_registry_certs,
    node_tls_files,
    registry_client_files,
)
from dockyard.providers.docker_local import cgroups, network, procs, registry
from dockyard.providers.docker_local.registry import RegistryConfig


class ClusterRegistry:
    """Runs one cluster's registry and points its nodes at it."""

    def __init__(self, settings: LocalSettings, store: StateStore) -> None:
        self.settings = settings
        self.store = store

    def _certs(self, state: ClusterState) -> str:
        return os.path.join(self.store.registry_dir(state), "certs")

    def config(self, state: ClusterState) -> RegistryConfig:
        return RegistryConfig(
            netns=state.registry_names.netns,
            address=state.registry_names.address,
            directory=self.store.registry_dir(state),
            cgroup=state.registry_names.cgroup,
            tls=node_tls_files(self._certs(state)) if state.tls else None,
        )

    def ref(self, state: ClusterState) -> procs.ProcessRef | None:
        if state.registry_pid is None or state.registry_start_time is None:
            return None
        return procs.ProcessRef(state.registry_pid, state.registry_start_time)

    def running(self, state: ClusterState) -> bool:
        ref = self.ref(state)
        return ref is not None and procs.alive(ref)

    def ensure_wanted(self, state: ClusterState, ca: KeyPair | None) -> None:
        """Run the registry if the cluster has one, before nodes that trust it start; stop
        one the cluster no longer has (an upgrade turned it off)."""
        if state.registry:
            self.ensure(state, ca)
        elif self.ref(state) is not None:
            self.stop(state)
            self.store.save(state)

    def ensure(self, state: ClusterState, ca: KeyPair | None) -> None:
        """The registry runs with certificates of `ca` (restarted when they changed)."""
        found = registry.problems()
        if found:
            raise registry.RegistryError("registry_enabled: " + "; ".join(found))
        network.ensure_node_link(
            state.registry_names.netns, state.registry_names.veth, state.bridge,
            network_interface(state), state.marker,
        )  # fmt: skip
        reissued = False
        if state.tls and ca is not None:
            reissued = ensure_registry_certs(ca, self._certs(state), state.registry_names.address)
        ref = self.ref(state)
        if ref is not None and procs.alive(ref):
            if not reissued:
                return
            procs.terminate([ref], timeout=5.0)  # it reads its certificates only at start
        cfg = self.config(state)
        cgroups.kill_all(cfg.cgroup)
        with self.store.pool_lock():
            cgroups.create(cfg.cgroup)
        ref = registry.start(cfg)
        state.registry_pid, state.registry_start_time = ref.pid, ref.start_time
        self.store.save(state)
        registry.wait_ready(cfg, ref, state.bridge, self.settings.start_timeout)

    def stop(self, state: ClusterState) -> list[str]:
        """Stop the registry and remove its namespace and cgroup (its images stay on disk
        until the cluster goes); returns what could not be removed."""
        ref = self.ref(state)
        if ref is not None:
            procs.terminate([ref], timeout=5.0)
        problems = []
        if cgroups.kill_all(state.registry_names.cgroup):
            problems.append(
                f"registry: processes survived SIGKILL in {state.registry_names.cgroup}"
            )
        network.remove_node_link(
            state.registry_names.netns, state.registry_names.veth, state.marker
        )
        problems += [f"registry: cgroup {d} not removed" for d in cgroups.remove(
            state.registry_names.cgroup)]  # fmt: skip
        state.registry_pid = state.registry_start_time = None
        return problems

    def trust(self, state: ClusterState, node: Node) -> None:
        """Put (or take away) the registry's CA and client certificate in the node's certs.d."""
        certs_d = self.store.node_paths(state, node).registry_certs
        target = os.path.join(certs_d, f"{state.registry_names.address}:{registry.PORT}")
        if not (state.registry and state.tls):
            shutil.rmtree(target, ignore_errors=True)
            return
        client = registry_client_files(self._certs(state))
        os.makedirs(target, mode=0o700, exist_ok=True)
        for source, name in ((client.ca, "ca.crt"), (client.cert, "client.cert"),
                             (client.key, "client.key")):  # fmt: skip
            shutil.copyfile(source, os.path.join(target, name))
            os.chmod(os.path.join(target, name), 0o600)


def network_interface(state: ClusterState) -> ipaddress.IPv4Interface:
    """The registry's address with the cluster's prefix."""
    return ipaddress.IPv4Interface(f"{state.registry_names.address}/{state.network.prefixlen}")
