"""Launching one Kubernetes node's supervisor (kube_node.sh) in the node's namespaces.

The chain is `ip netns exec NS unshare --pid --fork --kill-child=SIGTERM --mount-proc --uts
--propagation slave bash node_exec.sh bash kube_node.sh`: node_exec.sh (shared with the Swarm
nodes) prepares the mounts, cgroup and hostname; kube_node.sh becomes PID 1 of the node's PID
namespace. The identity recorded is that PID 1's (seen from the host): SIGTERM to it stops
the node gracefully, and its death takes every process of the node with it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

from dockyard.providers.commands import which
from dockyard.providers.docker_local import daemon
from dockyard.providers.docker_local.daemon import DaemonConfig
from dockyard.providers.docker_local.procs import ProcessRef, alive, identify, log_tail, spawn

#: Seconds unshare has to fork the node's first process.
FORK_TIMEOUT = 10.0


class NodeStartError(RuntimeError):
    """A node's supervisor did not start."""


@dataclass(frozen=True, slots=True)
class NodeLaunch:
    """What starts one node: the shared node settings, and its Kubernetes directories."""

    base: DaemonConfig  # netns, hostname, cgroup, /etc/docker, resolv.conf, volume, log file
    kube_dir: str
    kube_run: str
    images: tuple[str, ...]
    docker_cli: str
    #: More environment for kube_node.sh (e.g. KUBE_SETUP).
    env: Mapping[str, str] = field(default_factory=dict)


def script_path() -> str:
    """The kube_node.sh shipped beside this module."""
    return str(resources.files(__package__).joinpath("kube_node.sh"))


def prep_script() -> bytes:
    """node_prep.sh: the preparation kube_node.sh and the Heat servers' kubernetes-node.sh
    both source from the node's configuration directory (as `PREP_SCRIPT`)."""
    return resources.files(__package__).joinpath("node_prep.sh").read_bytes()


#: Where node_prep.sh goes, relative to the node's configuration directory.
PREP_SCRIPT = "node-prep.sh"


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(p) for p in handle.read().split()]
    except FileNotFoundError:
        return []


def start(launch: NodeLaunch) -> ProcessRef:
    """Start the node; returns the identity of its supervisor (PID 1 of its PID namespace)."""
    cfg = launch.base
    for path in (cfg.data_root, cfg.exec_root, cfg.etc_docker, cfg.plugins_dir, launch.kube_dir,
                 launch.kube_run):  # fmt: skip
        os.makedirs(path, mode=0o700, exist_ok=True)
    env = daemon.environment(cfg, None)
    env.update(
        KUBE_DIR=launch.kube_dir,
        KUBE_RUN=launch.kube_run,
        KUBE_CGROUP=cfg.cgroup,
        KUBE_IMAGES=" ".join(launch.images),
        KUBE_DOCKER=launch.docker_cli,
    )
    env.update(launch.env)
    argv = [
        which("ip") or "ip", "netns", "exec", cfg.netns,
        "unshare", "--pid", "--fork", "--kill-child=SIGTERM", "--mount-proc", "--uts",
        # Host mounts made later (Dockyard volumes for pods) reach the node; not the reverse.
        "--propagation", "slave",
        "bash", daemon.wrapper_path(), "bash", script_path(),
    ]  # fmt: skip
    outer = spawn(argv, cfg.log_file, env, launch.kube_dir)
    if outer is None:
        raise NodeStartError(f"node {cfg.hostname} exited at once: {log_tail(cfg.log_file)}")
    deadline = time.monotonic() + FORK_TIMEOUT
    while time.monotonic() < deadline:
        for child in _children(outer.pid):
            ref = identify(child)
            if ref is not None:
                return ref
        if not alive(outer):
            break
        time.sleep(0.02)
    raise NodeStartError(f"node {cfg.hostname} did not start: {log_tail(cfg.log_file)}")
