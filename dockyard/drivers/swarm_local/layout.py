"""A local cluster's private state, the names and paths derived from it, and where it is kept.

The state is written to `<state_dir>/clusters/<uuid>/state.json` before every step that
creates something (intent first), and returned as `DriverResult.driver_state`. A call that
is repeated after a crash reads it back and continues; delete uses whichever copy exists.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import ipaddress
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from dockyard.drivers.swarm_local.settings import LocalSettings

STATE_VERSION = 1
MANAGER = "manager"
WORKER = "worker"
FIRST_HOST = 10  # node addresses start at .10 of the cluster's /24 (.1 is the bridge)
REGISTRY_HOST = 2  # the cluster registry's address


@dataclass(slots=True)
class Node:
    """One node: a namespace with its own dockerd."""

    name: str  # "m0", "m1", "w0", ...: never reused within a cluster
    role: str  # MANAGER | WORKER
    address: str
    hostname: str
    pid: int | None = None
    start_time: int | None = None
    swarm_id: str | None = None
    removing: bool = False
    #: sha256 of the CA certificate the running dockerd was started with (TLS clusters).
    ca_fingerprint: str | None = None
    #: engine.digest of the storage driver and daemon.json the running dockerd started with.
    config_digest: str | None = None
    #: The uuid of the nodegroup the node belongs to; None: the default group of its role
    #: (default-master, default-worker), which is also what state files without it mean.
    nodegroup: str | None = None
    #: Engine labels the node's dockerd starts with: its nodegroup's name and role, which
    #: never change (the group's node labels are swarm node labels, kept up to date).
    engine_labels: dict[str, str] = field(default_factory=dict)

    @property
    def octet(self) -> int:
        return int(self.address.rsplit(".", 1)[1])


@dataclass(frozen=True, slots=True)
class HelperNames:
    """Where a helper process of a cluster lives: its own namespace on the cluster bridge."""

    address: str
    netns: str
    veth: str
    cgroup: str


@dataclass(slots=True)
class ClusterState:
    uuid: str
    key: str  # 8 hex digits naming the cluster's links, namespaces and cgroups
    subnet: str
    tls: bool
    storage_driver: str
    api_port: int | None = None
    image_id: str | None = None
    engine_version: str | None = None
    next_worker: int = 0
    #: Set once the bridge was made or checked; before that a bare bridge of our name is the
    #: leftover of an interrupted call and may be adopted.
    bridge_ready: bool = False
    #: Size of each node's loop-mounted ext4 data-root volume (docker_volume_size), or None.
    volume_gib: int | None = None
    #: The template the nodes are configured from, and what it puts in their daemon.json
    #: (engine.daemon_options); an upgrade changes both.
    template_id: str | None = None
    daemon_options: dict[str, Any] = field(default_factory=dict)
    #: volume_driver = rexray: the nodes find Dockyard's volume plugin in their plugin dirs.
    rexray: bool = False
    #: The cluster registry (registry_enabled): wanted, and its process when it runs.
    registry: bool = False
    registry_pid: int | None = None
    registry_start_time: int | None = None
    nodes: list[Node] = field(default_factory=list)
    version: int = STATE_VERSION

    # -- names (all derived, so nothing else needs to be stored) --------------------------
    @property
    def bridge(self) -> str:
        return f"dyb{self.key}"

    @property
    def marker(self) -> str:
        """The ifalias that marks our links as belonging to this cluster."""
        return f"dockyard:{self.uuid}"

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.subnet)

    @property
    def gateway(self) -> ipaddress.IPv4Interface:
        net = self.network
        return ipaddress.IPv4Interface(f"{net.network_address + 1}/{net.prefixlen}")

    def helper(self, host: int, name: str) -> HelperNames:
        """Names of the cluster's helper `name` at .`host` of its /24 (nodes start at
        FIRST_HOST): the registry (.2), Kubernetes' API load balancer (.3)."""
        return HelperNames(
            address=str(self.network.network_address + host),
            netns=f"dockyard-{self.key}-{name}",
            veth=f"dyv{self.key}{host}",
            cgroup=f"dockyard/{self.key}/{name}",
        )

    @property
    def registry_names(self) -> HelperNames:
        return self.helper(REGISTRY_HOST, "registry")

    def netns(self, node: Node) -> str:
        return f"dockyard-{self.key}-{node.name}"

    def veth(self, node: Node) -> str:
        return f"dyv{self.key}{node.octet}"  # <= 15 characters, unique among live nodes

    def cgroup(self, node: Node) -> str:
        return f"dockyard/{self.key}/{node.name}"

    def interface(self, node: Node) -> ipaddress.IPv4Interface:
        return ipaddress.IPv4Interface(f"{node.address}/{self.network.prefixlen}")

    # -- nodes --------------------------------------------------------------------------
    @property
    def managers(self) -> list[Node]:
        return [n for n in self.nodes if n.role == MANAGER]

    @property
    def workers(self) -> list[Node]:
        return [n for n in self.nodes if n.role == WORKER]

    @property
    def live_nodes(self) -> list[Node]:
        """The nodes that are not being removed (a resize finishes those)."""
        return [n for n in self.nodes if not n.removing]

    @property
    def api_node(self) -> Node:
        """The manager that starts the swarm, or gives join tokens: the first one that is not
        being removed (a heal replacing a lost manager removes it)."""
        return next(n for n in self.managers if not n.removing)

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def add_node(
        self,
        role: str,
        cluster_name: str,
        nodegroup: str | None = None,
        engine_labels: Mapping[str, str] | None = None,
    ) -> Node:
        """Record a new node with the lowest free address; nothing is created yet.

        `nodegroup` is the uuid of a group that is not a default one (see `Node.nodegroup`)."""
        taken = {n.address for n in self.nodes}
        hosts = (
            str(h) for h in self.network.hosts() if int(str(h).rsplit(".", 1)[1]) >= FIRST_HOST
        )
        address = next((h for h in hosts if h not in taken), None)
        if address is None:
            raise RuntimeError(f"no free address left in {self.subnet}")
        if role == MANAGER:  # after the highest: a replaced manager's name is not reused
            index = 1 + max((int(n.name[1:]) for n in self.managers), default=-1)
            name, kind = f"m{index}", "master"
        else:
            index = self.next_worker
            self.next_worker += 1
            name, kind = f"w{index}", "node"
        node = Node(name, role, address, f"{hostname_base(cluster_name)}-{kind}-{index}")
        node.nodegroup = nodegroup
        node.engine_labels = dict(engine_labels or {})
        self.nodes.append(node)
        return node

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterState:
        values = dict(data)
        values["nodes"] = [Node(**n) for n in values.get("nodes", [])]
        return cls(**values)

    @classmethod
    def from_driver_state(cls, driver_state: Mapping[str, Any]) -> ClusterState | None:
        """The state a driver call returned (`DriverResult.driver_state`), or None when it
        holds none (no subnet was ever allocated)."""
        return cls.from_dict(dict(driver_state)) if driver_state.get("subnet") else None


def cluster_key(uuid: str) -> str:
    return hashlib.sha256(uuid.encode()).hexdigest()[:8]


def hostname_base(cluster_name: str) -> str:
    """A hostname-safe form of the cluster's name."""
    base = re.sub(r"[^a-z0-9-]+", "-", cluster_name.lower()).strip("-")
    return base[:40].rstrip("-") or "cluster"


@dataclass(frozen=True, slots=True)
class NodePaths:
    root: str
    exec_root: str

    @property
    def data_root(self) -> str:
        return os.path.join(self.root, "data")

    @property
    def etc_docker(self) -> str:
        return os.path.join(self.root, "etc-docker")

    @property
    def plugins(self) -> str:
        """Bound over the node's /run/docker/plugins. Under the run dir, as unix socket paths
        are limited to 108 bytes; beside the exec-root, whose plugins/ dockerd uses itself."""
        run_dir, name = os.path.split(self.exec_root)
        return os.path.join(run_dir, "plugins", name)

    @property
    def certs(self) -> str:
        return os.path.join(self.root, "certs")

    @property
    def log_file(self) -> str:
        return os.path.join(self.root, "dockerd.log")

    @property
    def registry_certs(self) -> str:
        """The node's certs.d, where dockerd finds the cluster registry's CA and its client
        certificate."""
        return os.path.join(self.etc_docker, "certs.d")

    @property
    def volume(self) -> str:
        """The sparse ext4 image mounted on the data-root when the cluster has volumes."""
        return os.path.join(self.root, "volume.img")


class StateStore:
    """Cluster state files and the locks that serialise work on them.

    The Swarm and Kubernetes local drivers share one state_dir (so one address pool and one
    pool lock); each reads the state files as its own `state_class`.
    """

    def __init__(
        self, settings: LocalSettings, state_class: type[ClusterState] = ClusterState
    ) -> None:
        self.settings = settings
        self.state_class = state_class
        self.clusters_dir = os.path.join(settings.state_dir, "clusters")
        self.locks_dir = os.path.join(settings.state_dir, "locks")

    def cluster_dir(self, uuid: str) -> str:
        return os.path.join(self.clusters_dir, uuid)

    def run_dir(self, state: ClusterState) -> str:
        return os.path.join(self.settings.run_dir, state.key)

    def node_paths(self, state: ClusterState, node: Node) -> NodePaths:
        return NodePaths(
            os.path.join(self.cluster_dir(state.uuid), "nodes", node.name),
            os.path.join(self.run_dir(state), node.name),
        )

    def registry_dir(self, state: ClusterState) -> str:
        """The cluster registry's config, certificates, log and storage."""
        return os.path.join(self.cluster_dir(state.uuid), "registry")

    def resolv_conf(self, state: ClusterState) -> str:
        return os.path.join(self.cluster_dir(state.uuid), "resolv.conf")

    def _state_file(self, uuid: str) -> str:
        return os.path.join(self.cluster_dir(uuid), "state.json")

    def load(self, uuid: str) -> ClusterState | None:
        try:
            with open(self._state_file(uuid), encoding="utf-8") as handle:
                return self.state_class.from_dict(json.load(handle))
        except FileNotFoundError:
            return None

    def existing_state(self, uuid: str, recorded: Mapping[str, Any]) -> ClusterState | None:
        """The cluster's state file, else the copy the database kept (`recorded`, the last
        driver_state); None for a cluster that was never created."""
        state = self.load(uuid)
        if state is None:
            state = self.state_class.from_driver_state(recorded)
        return state

    def save(self, state: ClusterState) -> None:
        path = self._state_file(state.uuid)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state.to_dict(), handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def cluster_uuids(self) -> list[str]:
        """Every cluster that has a directory in this state_dir."""
        try:
            return sorted(os.listdir(self.clusters_dir))
        except FileNotFoundError:
            return []

    def changed_at(self, uuid: str) -> float | None:
        """When the cluster's state (or, without one, its directory) last changed."""
        for path in (self._state_file(uuid), self.cluster_dir(uuid)):
            with contextlib.suppress(FileNotFoundError):
                return os.stat(path).st_mtime
        return None

    def subnets_in_use(self) -> set[str]:
        """Subnets recorded by every cluster in this state_dir, of either local driver (read
        from the files as they are: a Kubernetes cluster's state is not a swarm one's)."""
        used = set()
        with contextlib.suppress(FileNotFoundError):
            for uuid in os.listdir(self.clusters_dir):
                with (
                    contextlib.suppress(FileNotFoundError),
                    open(self._state_file(uuid), encoding="utf-8") as handle,
                ):
                    used.add(str(json.load(handle)["subnet"]))
        return used

    @contextlib.contextmanager
    def _lock(self, name: str) -> Iterator[str]:
        os.makedirs(self.locks_dir, mode=0o700, exist_ok=True)
        path = os.path.join(self.locks_dir, name)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield path
        finally:
            os.close(fd)

    def pool_lock(self) -> contextlib.AbstractContextManager[str]:
        """Held while subnets are allocated and shared host state (cgroup parents) changes."""
        return self._lock("pool.lock")

    def cluster_lock(self, uuid: str) -> contextlib.AbstractContextManager[str]:
        """Held for a whole driver call on one cluster (threads and processes alike)."""
        return self._lock(f"{uuid}.lock")
