"""The cluster driver interface.

A driver turns a cluster description into real infrastructure. The conductor calls it from a
durable operation; every call must be idempotent, because after a conductor crash another
conductor repeats the call that was running. A driver never touches the database: it gets a
`ClusterSpec` and returns a `DriverResult`, and its private bookkeeping travels in
`ClusterSpec.driver_state` / `DriverResult.driver_state`.

Drivers whose backend works asynchronously (Heat) return `IN_PROGRESS` and are then asked to
`poll` until they report `COMPLETE` or `FAILED`; synchronous drivers (local Docker) finish in
the first call.

While a call runs, a driver reports the steps it finishes through `ClusterSpec.progress` (see
`ProgressStep` and `StepCounter`); the conductor turns each report into a `<kind>.progress`
event of the cluster's timeline, which the API, CLI and dashboard show as it happens.
"""

from __future__ import annotations

import datetime as dt
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from dockyard.certs.x509 import KeyPair
from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.domain import coe as coe_rules
from dockyard.domain.certificates import CertificateInfo


@dataclass(frozen=True, slots=True)
class Provides:
    """One (server_type, os_distro, coe) combination a driver can build."""

    server_type: str
    os: str
    coe: str


class Outcome(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class ProgressStep:
    """One finished step of a running driver call, for the cluster's timeline.

    `message` says what was done in a few words, naming the node or resource when there is one
    ("node m0: engine started", "resource kube_masters CREATE_COMPLETE"). `done` of `total`
    is how far the whole call is after this step; the timeline shows `done / total` as the
    fraction done. A driver that cannot count its steps yet passes `total=0` (no fraction).
    """

    message: str
    done: int = 0
    total: int = 0

    @property
    def fraction(self) -> float | None:
        """`done / total` in [0, 1], or None when the total is not known."""
        if self.total <= 0:
            return None
        return min(max(self.done / self.total, 0.0), 1.0)


#: What a driver calls to report a step: `spec.progress(ProgressStep(...))`. It returns
#: quickly, never raises (a report that cannot be written is logged and dropped, and never
#: fails the operation) and may be called from several threads at once.
ProgressReporter = Callable[[ProgressStep], None]


def no_progress(step: ProgressStep) -> None:
    """The default reporter: drops the step (tests, and calls outside an operation)."""
    return None


class StepCounter:
    """Counts the steps of one driver call and reports each through a `ProgressReporter`.

    Typical use in a driver, with the total known up front::

        steps = StepCounter(spec.progress, total=1 + 3 * len(nodes))
        ...
        steps.step("network ready")
        for node in nodes:
            ...
            steps.step(f"node {node.name}: engine started")

    `step` is thread-safe (nodes started or joined in parallel). A step that is already done
    when a repeated call (after a crash) gets there may be reported again; that is fine,
    since the timeline only shows what happened. `grow` raises the total when the driver
    learns of more work (a Heat stack's nested resources).
    """

    def __init__(self, report: ProgressReporter, total: int) -> None:
        self._report = report
        self._lock = threading.Lock()
        self.done = 0
        self.total = total

    def step(self, message: str) -> None:
        """One more step is done: report it with the fraction done so far."""
        with self._lock:
            self.done += 1
            step = ProgressStep(message, self.done, max(self.total, self.done))
        self._report(step)

    def grow(self, total: int) -> None:
        """The call has `total` steps in all (never lowers it)."""
        with self._lock:
            self.total = max(self.total, total)


@dataclass(frozen=True, slots=True)
class NodeGroupSpec:
    uuid: str
    name: str
    role: str
    node_count: int
    flavor_id: str | None
    image_id: str | None
    labels: Mapping[str, str]
    node_addresses: tuple[str, ...] = ()
    #: One of the groups every cluster is created with (default-master, default-worker).
    is_default: bool = True
    #: Labels every node of the group carries (Magnum's `node_labels`, microversion 1.14).
    node_labels: Mapping[str, str] = field(default_factory=dict)
    #: Taints every node of the group carries: {"key", "value", "effect"} each.
    node_taints: tuple[Mapping[str, str], ...] = ()

    @property
    def labels_for_nodes(self) -> dict[str, str]:
        """What a node of this group is labelled with: Magnum's two well-known labels (the
        group's name and role) and the group's `node_labels`."""
        return {
            **self.node_labels,
            NODEGROUP_LABEL: self.name,
            ROLE_LABEL: self.role,
        }


#: The node labels that name a node's nodegroup and its role (as Magnum's drivers set them).
NODEGROUP_LABEL = "magnum.openstack.org/nodegroup"
ROLE_LABEL = "magnum.openstack.org/role"


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """What a driver knows about a cluster: the cluster, its template and its nodegroups."""

    uuid: str
    name: str
    project_id: str
    coe: str
    master_count: int
    node_count: int
    labels: Mapping[str, str]
    template: Mapping[str, Any]
    create_timeout: int
    docker_volume_size: int | None
    keypair: str | None
    master_flavor_id: str | None
    flavor_id: str | None
    nodegroups: tuple[NodeGroupSpec, ...]
    driver_state: Mapping[str, Any]
    api_address: str | None = None
    #: The cluster CA (certificate and key) when TLS is enabled; drivers issue node
    #: certificates from it with dockyard.certs.x509.issue.
    ca: KeyPair | None = None
    #: An admin client certificate signed by `ca`, for the driver's own calls to the cluster.
    client: KeyPair | None = None
    #: The cluster's other CAs by kind ("etcd_ca", "front_proxy_ca": Kubernetes clusters).
    cas: Mapping[str, KeyPair] = field(default_factory=dict)
    #: The running operation asked to roll back on failure (PATCH ?rollback=True).
    rollback: bool = False
    #: Days a node certificate the driver issues from `ca` is valid ([x509]).
    node_cert_days: int = 1825
    #: Where the running call reports its steps (see `ProgressStep`, `StepCounter`). The
    #: conductor sets it for each operation; it drops reports everywhere else.
    progress: ProgressReporter = field(default=no_progress, compare=False, repr=False)

    @property
    def tls_disabled(self) -> bool:
        return bool(self.template.get("tls_disabled"))


@dataclass(frozen=True, slots=True)
class ClusterInventory:
    """What the database knows when a conductor starts, for `ClusterDriver.resume`."""

    #: This driver's clusters whose nodes should be running (every status but DELETE_*).
    running: tuple[ClusterSpec, ...]
    #: The UUID of every cluster in the database, any driver, any status: never orphans.
    known: frozenset[str]
    #: time.time() taken before the database was read; whatever a driver made after it may
    #: belong to a cluster created since, so it is not an orphan either.
    listed_at: float


@dataclass(slots=True)
class ClusterFacts:
    """What the driver learned about the built cluster; None fields are left unchanged."""

    api_address: str | None = None
    stack_id: str | None = None
    coe_version: str | None = None
    container_version: str | None = None
    master_addresses: list[str] | None = None
    node_addresses: list[str] | None = None
    #: The nodes' server certificates (kind "node", name the hostname): all of them, replacing
    #: what was reported before.
    node_certificates: list[CertificateInfo] | None = None
    #: Node addresses per nodegroup uuid, for drivers that build more than the default
    #: groups; where given they win over `master_addresses` / `node_addresses`.
    nodegroup_addresses: dict[str, list[str]] | None = None


@dataclass(slots=True)
class DriverResult:
    outcome: Outcome
    reason: str | None = None
    facts: ClusterFacts | None = None
    driver_state: dict[str, Any] | None = None
    # Lines for the cluster's event timeline (warnings such as "removed a node with containers").
    events: list[str] = field(default_factory=list)
    # For IN_PROGRESS: when to poll again, in seconds.
    poll_after: float = 5.0


@dataclass(frozen=True, slots=True)
class Health:
    status: str  # HealthStatus value
    reason: dict[str, str]
    #: Every node's hostname (the keys of `reason` that are nodes), for a driver that can heal.
    nodes: tuple[str, ...] = ()
    #: The nodes `heal` could bring back, by hostname, with why each is down: its engine or
    #: supervisor died, or the COE reports it down.
    down: Mapping[str, str] = field(default_factory=dict)


class ClusterDriver(ABC):
    """Base class of every cluster driver, registered under the `dockyard.drivers` group."""

    #: The entry-point name; set by the registry when the driver is loaded.
    name: str = ""
    #: What builds this driver's clusters, for messages ("Heat", "this machine's dockerds").
    backend: ClassVar[str] = ""
    provides: ClassVar[tuple[Provides, ...]] = ()
    #: Combinations this driver also builds, but only when no usable driver provides them
    #: itself (the local driver builds the guide's swarm on fedora-atomic from its own nodes
    #: where no Heat is configured). See `registry.DriverRegistry.select`.
    stands_in_for: ClassVar[tuple[Provides, ...]] = ()
    #: Labels this driver understands beyond the shared table in dockyard.domain.coe.
    extra_labels: ClassVar[frozenset[str]] = frozenset()

    def configure(self, conf: Any) -> None:
        """Called once after loading with the service's oslo.config object.

        A driver with options registers its own group here (e.g. `[local_driver]`).
        """
        return None

    def validate_labels(self, coe: str, labels: Mapping[str, object]) -> dict[str, str]:
        """Check labels before anything is created; returns them normalised to strings."""
        return coe_rules.validate_labels(coe, labels)

    def validate_master_count(self, master_count: int, master_lb_enabled: bool) -> None:
        """Refuse master counts this driver cannot build: odd (Magnum's rule, for the
        quorum of etcd or of swarm's raft). Several masters without a load balancer are
        accepted, as the guide says: one of them then serves the API."""
        if master_count < 1 or master_count % 2 == 0:
            raise exceptions.InvalidParameterValue(
                f"master nodegroup size of {master_count} is invalid, size cannot be an even "
                "number."
            )

    @abstractmethod
    def create_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        """Build the cluster (or continue building it after a crash)."""

    @abstractmethod
    def resize_cluster(
        self,
        ctx: RequestContext,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: list[str],
    ) -> DriverResult:
        """Make `nodegroup` have `node_count` nodes, preferring to remove `nodes_to_remove`."""

    @abstractmethod
    def delete_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        """Remove everything the cluster owns. Deleting what is already gone succeeds."""

    # -- nodegroups beyond the default ones (optional; the API refuses them with 400 for a
    # driver that does not override these) ------------------------------------------------
    def check_nodegroup(self, coe: str, nodegroup: NodeGroupSpec) -> None:
        """Refuse, before anything is written, a nodegroup this driver cannot build (for
        instance taints on a COE without taints)."""
        return None

    def create_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """Build `nodegroup` (already in `spec.nodegroups`) with `nodegroup.node_count` nodes."""
        raise exceptions.NotSupported(operation=f"Creating nodegroups with driver {self.name}")

    def update_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """Make the nodes of `nodegroup` carry its current node labels and taints."""
        raise exceptions.NotSupported(operation=f"Updating nodegroups with driver {self.name}")

    def delete_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """Drain and remove every node of `nodegroup`. Deleting what is gone succeeds."""
        raise exceptions.NotSupported(operation=f"Deleting nodegroups with driver {self.name}")

    def poll(self, ctx: RequestContext, spec: ClusterSpec, operation: str) -> DriverResult:
        """Progress of an IN_PROGRESS operation. Synchronous drivers never get here."""
        raise exceptions.NotSupported(operation=f"Polling {operation}")

    def upgrade_cluster(
        self, ctx: RequestContext, spec: ClusterSpec, template: Mapping[str, Any], max_batch: int
    ) -> DriverResult:
        """Move the cluster to another template's versions."""
        raise exceptions.NotSupported(operation=f"Upgrading clusters with driver {self.name}")

    def rekey_refusal(self, template: Mapping[str, Any]) -> str | None:
        """Why this driver cannot rotate the CA or renew node certificates of a cluster made
        from `template` (checked before the operation is accepted), or None."""
        return None

    def rotate_ca(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        """Re-key the cluster's nodes after its CA changed."""
        raise exceptions.NotSupported(operation=f"Rotating the CA with driver {self.name}")

    def renew_certificates(
        self, ctx: RequestContext, spec: ClusterSpec, issued_before: dt.datetime
    ) -> DriverResult:
        """Re-issue, from the unchanged `spec.ca`, every node certificate issued before
        `issued_before`, and make the nodes serve the new ones (a call repeated after a crash
        finishes the job). Users' client certificates keep working."""
        raise exceptions.NotSupported(
            operation=f"Renewing node certificates with driver {self.name}"
        )

    def resume(self, ctx: RequestContext, inventory: ClusterInventory) -> list[str]:
        """Called once when a conductor starts: bring back the nodes of `inventory.running`
        that are down (after a machine restart) and remove leftovers of clusters that are not
        in `inventory.known`. Returns one line per thing done, for the log; must be cheap
        when there is nothing to do."""
        return []

    def check_health(self, ctx: RequestContext, spec: ClusterSpec) -> Health | None:
        """Health of a settled cluster; None when the driver cannot tell."""
        return None

    def unmet_requirements(self, template: Mapping[str, Any] | None = None) -> list[str]:
        """What this deployment lacks for the driver to build clusters, one short phrase each
        ("no [heat] or [keystone_authtoken] service credentials"); empty when it can.

        With `template` (a cluster template's fields), also what that template's options
        need (a Cinder endpoint for volume_driver cinder, loop devices for a volume size...).
        The services call this at template create and again at cluster create, and answer
        400 with the phrases instead of accepting what would fail later. It must be cheap
        once it has succeeded (cache successes, never failures: a fixed deployment is seen
        at once)."""
        return []

    def heal(self, ctx: RequestContext, spec: ClusterSpec, nodes: Sequence[str]) -> DriverResult:
        """Bring back `nodes` (hostnames that `check_health` reported down, for longer than
        the grace period): restart each from its data (a node whose engine still runs but
        that the COE reports down is stopped first); replace a node that does not come back,
        keeping the masters' quorum. Nodes of the cluster found dead meanwhile are restarted
        too. Idempotent like every call: a repeated call finishes the job. Reports each node
        restarted, replaced and Ready through `spec.progress`."""
        raise exceptions.NotSupported(operation=f"Healing clusters with driver {self.name}")

    @property
    def can_heal(self) -> bool:
        """True when the driver implements `heal` (auto-healing applies to its clusters)."""
        return type(self).heal is not ClusterDriver.heal

    def check_host(self) -> None:
        """Raise `DriverUnusable` naming what is missing when this deployment cannot run the
        driver at all (`unmet_requirements` without a template)."""
        problems = self.unmet_requirements()
        if problems:
            raise exceptions.DriverUnusable(
                driver=self.name, backend=self.backend, problems=problems
            )

    #: Seconds between two `sync_in_progress` calls; None: the driver has no batch sync.
    status_sync_interval: float | None = None

    def sync_in_progress(self, ctx: RequestContext, specs: Sequence[ClusterSpec]) -> set[str]:
        """Periodic batch check of clusters whose operation waits on the backend (Heat): the
        uuids among `specs` whose backend settled, so their operations poll now."""
        return set()


class UnloadedDriver(ClusterDriver):
    """What the registry hands out for a cluster whose driver is not loaded here (disabled
    in [drivers], failed to load, or uninstalled): it builds nothing, and deletes a cluster
    whose backend was never made. Not an entry point."""

    backend: ClassVar[str] = "not loaded"

    def __init__(self, name: str) -> None:
        self.name = name

    def unmet_requirements(self, template: Mapping[str, Any] | None = None) -> list[str]:
        return [f"the driver {self.name} is not loaded in this deployment ([drivers])"]

    def _refuse(self) -> DriverResult:
        return DriverResult(Outcome.FAILED, reason=self.unmet_requirements()[0])

    def create_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        return self._refuse()

    def resize_cluster(
        self,
        ctx: RequestContext,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: list[str],
    ) -> DriverResult:
        return self._refuse()

    def delete_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        """Nothing recorded (driver_state empty): nothing was built, the delete completes.
        Otherwise only the driver knows how to remove what it made."""
        if not spec.driver_state:
            return DriverResult(Outcome.COMPLETE, reason="nothing was ever built")
        return DriverResult(
            Outcome.FAILED,
            reason=f"{self.unmet_requirements()[0]}: load it again to delete what it built",
        )
