"""A container host: one standalone (not swarm) dockerd on this machine, managed by Dockyard.

It is built from the same parts as a local cluster node (daemon.py, node_exec.sh, cgroups,
procs, the busybox base image) with one difference in networking: the host's network
namespace has **no uplink at all**, only its loopback. Containers get the engine's default
bridge (docker0, inside that namespace), so they reach each other and nothing else: no veth
joins the namespace to the host, so there is no address the host could route to, nothing to
blackhole and no route to check, and a container's packets to anywhere else fail with
ENETUNREACH inside the namespace. The engine's API is its unix socket only.

The engine keeps its own data-root, exec-root, /etc/docker and a private plugin dir bound
over /run/docker/plugins (where Dockyard's volume plugin puts `dockyard.sock`). Its identity
(PID and start time) is saved in `<state_dir>/host.json` before it is waited for, so a later
process finds it, and a dead engine is started again from its data-root: containers and
images are kept (containers come back stopped).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dockyard.providers.commands import run, unmount_below
from dockyard.providers.docker_local import cgroups, daemon, network, procs
from dockyard.providers.docker_local.daemon import DaemonConfig
from dockyard.providers.docker_local.image import BaseImage

# The namespace has no DNS server, and no route to one: lookups fail at once.
RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
CGROUP_ROOT = "dockyard"


class HostEngineError(RuntimeError):
    """The container host could not be started or does not answer."""


@dataclass(frozen=True, slots=True)
class HostEngineSettings:
    """Everything that makes one container host (plain values, read by the services)."""

    name: str
    state_dir: str
    run_dir: str = "/run/dockyard"
    dockerd: str = "dockerd"
    busybox: str = "/bin/busybox"
    storage_driver: str = "overlay2"
    start_timeout: float = 60.0
    shutdown_timeout: int = 10


@dataclass(frozen=True, slots=True)
class HostStatus:
    """What `status` finds: whether the recorded dockerd runs and answers."""

    running: bool
    answers: bool
    pid: int | None
    socket: str
    image_id: str | None


class HostEngine:
    """Start, stop, inspect and remove one container host."""

    def __init__(self, settings: HostEngineSettings) -> None:
        self.settings = settings
        self.key = hashlib.sha256(settings.name.encode()).hexdigest()[:8]

    # -- names and paths (all derived from the name) ---------------------------------------
    @property
    def netns(self) -> str:
        return f"dockyard-host-{self.key}"

    @property
    def cgroup(self) -> str:
        return f"{CGROUP_ROOT}/host-{self.key}"

    @property
    def exec_root(self) -> str:
        return os.path.join(self.settings.run_dir, f"host-{self.key}")

    @property
    def plugins_dir(self) -> str:
        """Bound over the engine's /run/docker/plugins: only Dockyard's sockets are seen."""
        return os.path.join(self.settings.state_dir, "plugins")

    @property
    def socket_path(self) -> str:
        return self.config().socket_path

    @property
    def docker_url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def _state_file(self) -> str:
        return os.path.join(self.settings.state_dir, "host.json")

    def config(self) -> DaemonConfig:
        root = self.settings.state_dir
        return DaemonConfig(
            hostname=self.settings.name,
            netns=self.netns,
            address="",  # no link: the API is the unix socket only (no TLS listener)
            data_root=os.path.join(root, "data"),
            exec_root=self.exec_root,
            etc_docker=os.path.join(root, "etc-docker"),
            plugins_dir=self.plugins_dir,
            resolv_conf=os.path.join(root, "resolv.conf"),
            log_file=os.path.join(root, "dockerd.log"),
            cgroup=self.cgroup,
            dockerd=self.settings.dockerd,
            storage_driver=self.settings.storage_driver,
            shutdown_timeout=self.settings.shutdown_timeout,
            labels={"dockyard.container_host": self.settings.name},
            # Nothing to filter or translate in a namespace without uplink, and setting up
            # (and on a restart first tearing down) the rules took ~280 of dockerd's ~450 ms
            # of start-up (docs/benchmarks.md, "Volumes and containers").
            options={"iptables": False},
        )

    # -- recorded state ---------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        try:
            with open(self._state_file, encoding="utf-8") as handle:
                return dict(json.load(handle))
        except (FileNotFoundError, ValueError):
            return {}

    def _save(self, state: dict[str, Any]) -> None:
        os.makedirs(self.settings.state_dir, mode=0o700, exist_ok=True)
        tmp = f"{self._state_file}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._state_file)

    def _ref(self, state: dict[str, Any]) -> procs.ProcessRef | None:
        if not state.get("pid") or not state.get("start_time"):
            return None
        return procs.ProcessRef(int(state["pid"]), int(state["start_time"]))

    def exists(self) -> bool:
        """Whether this host was ever started (its state is on disk)."""
        return os.path.exists(self._state_file)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        # flock: serialises threads (each opens its own descriptor) and processes alike.
        os.makedirs(self.settings.state_dir, mode=0o700, exist_ok=True)
        fd = os.open(os.path.join(self.settings.state_dir, "host.lock"), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # -- lifecycle ----------------------------------------------------------------------
    def status(self) -> HostStatus:
        state = self._load()
        ref = self._ref(state)
        running = ref is not None and procs.alive(ref)
        cfg = self.config()
        return HostStatus(
            running=running,
            answers=running and daemon.answers(cfg),
            pid=ref.pid if running and ref is not None else None,
            socket=cfg.socket_path,
            image_id=state.get("image_id"),
        )

    def ensure_running(self, image: BaseImage) -> HostStatus:
        """Start the engine unless it runs (again from its data-root after a stop, a crash
        or a machine restart) and make sure it has `image`. Idempotent."""
        with self._lock():
            state = self._load()
            cfg = self.config()
            ref = self._ref(state)
            if ref is None or not procs.alive(ref):
                ref = self._start(cfg)
                state.update(pid=ref.pid, start_time=ref.start_time, image_id=None)
                self._save(state)
            try:
                daemon.wait_ready([(cfg, ref)], self.settings.start_timeout)
            except daemon.DaemonError as exc:
                raise HostEngineError(str(exc)) from exc
            if state.get("image_id") != image.image_id:
                self._load_image(cfg, image)
                state["image_id"] = image.image_id
                self._save(state)
        return self.status()

    def _start(self, cfg: DaemonConfig) -> procs.ProcessRef:
        self._ensure_netns()
        resolv = cfg.resolv_conf
        if not os.path.exists(resolv):
            os.makedirs(os.path.dirname(resolv), mode=0o700, exist_ok=True)
            with open(resolv, "w", encoding="ascii") as handle:
                handle.write(RESOLV_CONF)
        # Whatever a killed dockerd left (containerd, shims, containers) is in its cgroup.
        cgroups.kill_all(self.cgroup)
        daemon.remove_runtime_files(cfg)
        try:
            cgroups.create(self.cgroup)
        except FileNotFoundError:  # a local cluster's teardown removed the shared parent
            cgroups.create(self.cgroup)
        try:
            ref, _ = daemon.start(cfg)
        except daemon.DaemonError as exc:
            raise HostEngineError(str(exc)) from exc
        return ref

    def _ensure_netns(self) -> None:
        """The host's namespace: loopback only, no link to anything outside it."""
        if not network.netns_exists(self.netns):
            run(["ip", "netns", "add", self.netns])
        run(["ip", "-n", self.netns, "link", "set", "dev", "lo", "up"])

    @staticmethod
    def _load_image(cfg: DaemonConfig, image: BaseImage) -> None:
        api = daemon.client(cfg)
        try:
            if image.image_id not in api.api.images(quiet=True, all=True):
                api.images.load(image.archive)
        finally:
            api.close()

    def stop(self) -> None:
        """Stop the engine (its containers stop with it); data-root and state are kept."""
        with self._lock():
            state = self._load()
            ref = self._ref(state)
            if ref is not None:
                procs.terminate([ref], timeout=self.settings.shutdown_timeout + 10.0)
            cgroups.kill_all(self.cgroup)
            daemon.remove_runtime_files(self.config())

    def destroy(self) -> list[str]:
        """Stop the engine and remove everything it had; returns what was left behind."""
        self.stop()
        problems: list[str] = []
        with self._lock():
            network.remove_netns(self.netns)
            problems += [f"cgroup {d} not removed" for d in cgroups.remove(self.cgroup)]
            cgroups.remove_if_empty(CGROUP_ROOT)
            for directory in (self.exec_root, self.settings.state_dir):
                unmount_below(directory)
        for directory in (self.exec_root, self.settings.state_dir):
            shutil.rmtree(directory, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.rmdir(self.settings.run_dir)  # only when nothing else uses it
        return problems

    def client(self, timeout: float = 60) -> Any:
        """A docker SDK client on the engine's unix socket."""
        return daemon.client(self.config(), timeout)
