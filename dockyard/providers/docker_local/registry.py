"""A cluster's image registry: Debian's docker-registry (distribution 2.x) in its own namespace.

It runs like a node: its own network namespace on the cluster bridge (no default route), its
own session (it outlives the conductor), its own cgroup (teardown finds it there), and its
identity (PID + start time) is recorded. With TLS it serves the cluster CA's server
certificate and requires a client certificate from the same CA, so only the cluster's nodes
can push and pull. The config is JSON, which YAML readers take as it is.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass

from dockyard.providers.commands import SYSTEM_PATH, which
from dockyard.providers.docker_local import cgroups, network
from dockyard.providers.docker_local.daemon import TlsFiles
from dockyard.providers.docker_local.procs import ProcessRef, alive, log_tail, spawn

PORT = 5000
BINARY = "docker-registry"
INSTALL_HINT = "install Debian's docker-registry (scripts/install-docker)"


class RegistryError(RuntimeError):
    """The registry did not start or does not answer."""


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    """Everything that makes one cluster's registry."""

    netns: str
    address: str
    directory: str
    cgroup: str
    tls: TlsFiles | None

    @property
    def config_file(self) -> str:
        return os.path.join(self.directory, "config.yml")

    @property
    def storage(self) -> str:
        return os.path.join(self.directory, "storage")

    @property
    def log_file(self) -> str:
        return os.path.join(self.directory, "registry.log")


def problems() -> list[str]:
    """What stops a cluster registry from running here (empty when all is well)."""
    return [] if which(BINARY) else [f"no {BINARY} binary; {INSTALL_HINT}"]


def _config(cfg: RegistryConfig) -> dict[str, object]:
    http: dict[str, object] = {"addr": f"{cfg.address}:{PORT}"}
    if cfg.tls is not None:
        http["tls"] = {
            "certificate": cfg.tls.cert,
            "key": cfg.tls.key,
            "clientcas": [cfg.tls.ca],
        }
    return {
        "version": "0.1",
        "log": {"level": "info", "formatter": "text"},
        "storage": {"filesystem": {"rootdirectory": cfg.storage}, "delete": {"enabled": True}},
        "http": http,
    }


def start(cfg: RegistryConfig) -> ProcessRef:
    """Launch the registry in its namespace; its cgroup must exist (cgroups.create)."""
    os.makedirs(cfg.storage, mode=0o700, exist_ok=True)
    with open(cfg.config_file, "w", encoding="utf-8") as handle:
        json.dump(_config(cfg), handle, indent=1)
    argv = [which("ip") or "ip", "netns", "exec", cfg.netns, which(BINARY) or BINARY, "serve",
            cfg.config_file]  # fmt: skip
    ref = spawn(argv, cfg.log_file, {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"}, cfg.directory)
    if ref is None:
        raise RegistryError(f"the registry exited at once: {log_tail(cfg.log_file)}")
    cgroups.attach(cfg.cgroup, ref.pid)  # it starts no child: nothing escapes the cgroup
    return ref


def wait_ready(cfg: RegistryConfig, ref: ProcessRef, bridge: str, timeout: float) -> None:
    """Wait until the registry accepts TCP connections (checking the route first)."""
    network.assert_routed_via(cfg.address, bridge)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((cfg.address, PORT), timeout=1):
                return
        except OSError as exc:
            if not alive(ref):
                raise RegistryError(f"the registry exited: {log_tail(cfg.log_file)}") from None
            if time.monotonic() > deadline:
                raise RegistryError(
                    f"the registry did not answer on {cfg.address}:{PORT} within "
                    f"{timeout:.0f}s: {exc}"
                ) from None
            time.sleep(0.1)
