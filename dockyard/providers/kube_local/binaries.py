"""Where the local Kubernetes nodes' programs are, and what this host lacks to run them.

The five server binaries are built from Debian's `kubernetes` source package by
`scripts/build-kubernetes`, which keeps them in a host-wide cache and points
`<cache>/current` at the newest build; etcd, the CNI plugins, conntrack, haproxy and kubectl
are Debian packages (`scripts/install-kubernetes` installs both).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from dockyard.providers.commands import which

DEFAULT_BIN_DIR = "/var/cache/dockyard/kubernetes/current/bin"
INSTALL_HINT = "run scripts/install-kubernetes as root"
SERVER_BINARIES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
    "kubelet",
    "pause",
)
CNI_PLUGINS = ("bridge", "host-local", "loopback")
TOOLS = ("etcd", "haproxy", "conntrack", "iptables")


@dataclass(frozen=True, slots=True)
class KubeBinaries:
    """The programs a local Kubernetes cluster runs."""

    bin_dir: str = DEFAULT_BIN_DIR
    cni_dir: str = "/usr/lib/cni"
    etcd: str = "etcd"
    haproxy: str = "haproxy"
    docker_cli: str = "/usr/bin/docker"

    def path(self, name: str) -> str:
        """The absolute path of one of SERVER_BINARIES."""
        return os.path.join(os.path.realpath(self.bin_dir), name)

    def tool(self, name: str) -> str:
        """The absolute path of a tool found on PATH (or `name` itself when it is missing)."""
        return which(name) or name

    @property
    def version(self) -> str:
        """The Kubernetes version the binaries were built from (their BUILD-INFO)."""
        info = os.path.join(os.path.dirname(os.path.realpath(self.bin_dir)), "BUILD-INFO")
        try:
            with open(info, encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("source "):
                        upstream = line.split()[1].split("really")[-1]
                        return "v" + upstream.split("-")[0]
        except FileNotFoundError:
            pass
        return "v1.20"

    def problems(self) -> list[str]:
        """Everything missing for local Kubernetes nodes (empty when all is there)."""
        found: list[str] = []
        missing = [b for b in SERVER_BINARIES if not os.access(self.path(b), os.X_OK)]
        if missing:
            found.append(
                f"no Kubernetes server binaries in {self.bin_dir} ({', '.join(missing)}); "
                f"{INSTALL_HINT} (it builds them from Debian's sources once, ~10 minutes)"
            )
        absent = [p for p in CNI_PLUGINS if not os.access(os.path.join(self.cni_dir, p), os.X_OK)]
        if absent:
            found.append(
                f"no CNI plugins {', '.join(absent)} in {self.cni_dir}; install "
                "containernetworking-plugins"
            )
        tools = {"etcd": self.etcd, "haproxy": self.haproxy, "docker": self.docker_cli}
        tools.update({t: t for t in TOOLS if t not in tools})
        lacking = [name for name, path in tools.items() if which(path) is None]
        if lacking:
            found.append(f"missing programs: {', '.join(sorted(lacking))}; {INSTALL_HINT}")
        return found
