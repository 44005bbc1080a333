"""One node's dockerd: its command line, launching it in the node namespace, readiness.

The launch chain is `ip netns exec NS unshare --uts bash node_exec.sh dockerd ...`; every
step execs, so the PID returned by Popen is dockerd's. The daemon runs in its own session so
it outlives the conductor that started it; its identity (PID + start time) is recorded.

The cluster's API is published on host loopback with no proxy process: a listening socket is
created here, in the host namespace, and handed to dockerd as a socket-activation fd (`-H
fd://`). A socket keeps the namespace it was created in. Every manager gets its own socket on
the same port with SO_REUSEPORT, so the kernel spreads new connections over the managers'
sockets; a dead dockerd's socket closes with it and leaves the group, and the port keeps
answering as long as one manager lives (multi-master fail-over, TLS end to end, no proxy).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from dockyard.providers.commands import SYSTEM_PATH, which
from dockyard.providers.docker_local import cgroups
from dockyard.providers.docker_local.procs import ProcessRef, alive, log_tail, spawn

LOOPBACK = "127.0.0.1"
# The engine API version every node speaks (Debian bookworm's docker.io 20.10).
API_VERSION = "1.41"
TLS_PORT = 2376


class DaemonError(RuntimeError):
    """A node's dockerd did not start or does not answer."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Server-side TLS material of one node (PEM files)."""

    ca: str
    cert: str
    key: str


@dataclass(frozen=True, slots=True)
class DaemonConfig:
    """Everything that makes one node's dockerd."""

    hostname: str
    netns: str
    address: str
    data_root: str
    exec_root: str
    etc_docker: str
    plugins_dir: str
    resolv_conf: str
    log_file: str
    cgroup: str
    dockerd: str
    storage_driver: str = "overlay2"
    shutdown_timeout: int = 5
    tls: TlsFiles | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    #: An ext4 image to loop-mount on the data-root inside the node (see volumes.py).
    volume: str | None = None
    #: daemon.json settings (written to <etc_docker>/daemon.json at each start); none of them
    #: may also be a command-line flag, or dockerd refuses to start.
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def socket_path(self) -> str:
        return os.path.join(self.exec_root, "docker.sock")

    @property
    def pidfile(self) -> str:
        return os.path.join(self.exec_root, "dockerd.pid")

    @property
    def config_file(self) -> str:
        return os.path.join(self.etc_docker, "daemon.json")


def wrapper_path() -> str:
    """The node_exec.sh shipped beside this module."""
    return str(resources.files(__package__).joinpath("node_exec.sh"))


def command(cfg: DaemonConfig, *, socket_activated: bool) -> list[str]:
    """dockerd's argv (after the wrapper) for `cfg`."""
    argv = [
        cfg.dockerd,
        "--data-root", cfg.data_root,
        "--exec-root", cfg.exec_root,
        "--pidfile", cfg.pidfile,
        "--config-file", cfg.config_file,
        "-H", f"unix://{cfg.socket_path}",
        "--storage-driver", cfg.storage_driver,
        "--cgroup-parent", "/" + cfg.cgroup,
        "--shutdown-timeout", str(cfg.shutdown_timeout),
    ]  # fmt: skip
    if cfg.tls is not None:
        # Each node also serves its API, TLS-verified, on its own address (as Magnum's
        # swarm nodes do on 2376); without TLS the API is on the unix socket and loopback only.
        argv += [
            "-H", f"tcp://{cfg.address}:{TLS_PORT}",
            "--tlsverify",
            "--tlscacert", cfg.tls.ca,
            "--tlscert", cfg.tls.cert,
            "--tlskey", cfg.tls.key,
        ]  # fmt: skip
    if socket_activated:
        argv += ["-H", "fd://"]
    for key, value in sorted(cfg.labels.items()):
        argv += ["--label", f"{key}={value}"]
    return argv


def environment(cfg: DaemonConfig, listen_fd: int | None) -> dict[str, str]:
    """node_exec.sh's environment for `cfg` (see that script), with no variable of ours."""
    bin_dir = os.path.dirname(which(cfg.dockerd) or cfg.dockerd)
    mounts = "\n".join(
        f"{m.fstype} {m.source} {m.options or 'rw'} {m.target}" for m in cgroups.mounts()
    )
    # A fresh environment: no proxy or DOCKER_* variables from the service reach the node.
    env = {
        "PATH": f"{bin_dir}:{SYSTEM_PATH}",
        "HOME": cfg.data_root,
        "LANG": "C.UTF-8",
        "NODE_CGROUP_MOUNTS": mounts,
        "NODE_CGROUP": cfg.cgroup,
        "NODE_ETC_DOCKER": cfg.etc_docker,
        "NODE_PLUGINS": cfg.plugins_dir,
        "NODE_RESOLV": cfg.resolv_conf,
        "NODE_HOSTNAME": cfg.hostname,
    }
    if listen_fd is not None:
        env["NODE_LISTEN_FD"] = str(listen_fd)
    if cfg.volume is not None:
        env["NODE_VOLUME"] = cfg.volume
        env["NODE_DATA_ROOT"] = cfg.data_root
    return env


def listener(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:`port` (0: any) that shares the port (SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Joins the sockets other managers of the cluster hold on this port (only sockets of the
    # same user that also set it may share a port; a port held otherwise stays refused).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((LOOPBACK, port))
    sock.listen(128)
    return sock


def start(cfg: DaemonConfig, loopback_port: int | None = None) -> tuple[ProcessRef, int | None]:
    """Launch the node's dockerd; returns its identity and the loopback port it serves.

    With `loopback_port` (0 = any free port) the API is also served on 127.0.0.1, sharing the
    port with the other managers' dockerds; a port that something else holds is replaced by a
    new one. The node's cgroup must exist (cgroups.create).
    """
    for path in (cfg.data_root, cfg.exec_root, cfg.etc_docker, cfg.plugins_dir):
        os.makedirs(path, mode=0o700, exist_ok=True)
    os.makedirs(os.path.dirname(cfg.log_file), exist_ok=True)
    write_options(cfg)
    sock: socket.socket | None = None
    port: int | None = None
    if loopback_port is not None:
        try:
            sock = listener(loopback_port)
        except OSError:
            sock = listener(0)
        port = int(sock.getsockname()[1])
    argv = [
        "ip", "netns", "exec", cfg.netns, "unshare", "--uts", "bash", wrapper_path(),
        *command(cfg, socket_activated=sock is not None),
    ]  # fmt: skip
    argv[0] = which("ip") or "ip"
    listen_fd = None if sock is None else sock.fileno()
    try:
        ref = spawn(
            argv,
            cfg.log_file,
            environment(cfg, listen_fd),
            cfg.data_root,
            () if listen_fd is None else (listen_fd,),
        )
    finally:
        if sock is not None:
            sock.close()  # dockerd holds its own copy
    if ref is None:
        raise DaemonError(f"dockerd for {cfg.hostname} exited at once: {log_tail(cfg.log_file)}")
    return ref, port


def write_options(cfg: DaemonConfig) -> None:
    """Write the node's daemon.json from `cfg.options` (read by dockerd when it starts)."""
    tmp = f"{cfg.config_file}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(dict(cfg.options), handle, indent=1, sort_keys=True)
    os.replace(tmp, cfg.config_file)


def client(cfg: DaemonConfig, timeout: float = 60) -> Any:
    """A docker SDK client on the node's unix socket."""
    import docker  # here, not at the top: every Dockyard process loads the driver at start

    api = docker.DockerClient(
        base_url=f"unix://{cfg.socket_path}", version=API_VERSION, timeout=timeout
    )
    # requests would let REQUESTS_CA_BUNDLE and proxy variables from the environment in.
    api.api.trust_env = False
    return api


def answers(cfg: DaemonConfig) -> bool:
    """Whether the node's API answers a ping on its unix socket."""
    if not os.path.exists(cfg.socket_path):
        return False
    try:
        api = client(cfg, timeout=5)
        try:
            return bool(api.ping())
        finally:
            api.close()
    except Exception:
        return False


def wait_ready(
    items: list[tuple[DaemonConfig, ProcessRef]],
    timeout: float,
    on_ready: Callable[[DaemonConfig], None] | None = None,
) -> None:
    """Wait until every node's API answers (calling `on_ready` for each as it does); raise
    DaemonError if one dies or time runs out."""
    deadline = time.monotonic() + timeout
    pending = list(items)
    while pending:
        still: list[tuple[DaemonConfig, ProcessRef]] = []
        for cfg, ref in pending:
            if answers(cfg):
                if on_ready is not None:
                    on_ready(cfg)
                continue
            if not alive(ref):
                raise DaemonError(f"dockerd for {cfg.hostname} exited: {log_tail(cfg.log_file)}")
            still.append((cfg, ref))
        pending = still
        if pending and time.monotonic() > deadline:
            names = ", ".join(cfg.hostname for cfg, _ in pending)
            raise DaemonError(f"dockerd did not answer within {timeout:.0f}s on: {names}")
        if pending:
            time.sleep(0.1)


def remove_runtime_files(cfg: DaemonConfig) -> None:
    """Drop the pidfiles and socket a killed dockerd left behind (call once it is all dead).

    A new dockerd would take containerd's stale PID for a live containerd while that PID is
    still an unreaped zombie, and wait for it in vain.
    """
    containerd_pid = os.path.join(cfg.exec_root, "containerd", "containerd.pid")
    for path in (cfg.pidfile, cfg.socket_path, containerd_pid):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
