"""The healing loop of a local cluster (Swarm or Kubernetes), one node at a time.

Nodes that stay down are restarted from their directories and must be ready again; a worker
that is not is replaced by a new one. A manager or master that does not come back is
replaced only by a driver that can (`replaces_masters`: Swarm) and only while the other
masters keep quorum (`keeps_quorum`); otherwise it fails the heal, with a reason that says
why it is refused (`refusal`: the only one, no quorum left, or replacement not built), and
waits for a person. A replacement is recorded (new node added, old one marked `removing`)
before anything changes, so a call repeated after a crash finishes it
(`finish_replacements`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec, DriverResult, Outcome, StepCounter
from dockyard.drivers.swarm_local import groups
from dockyard.drivers.swarm_local.layout import WORKER, ClusterState, Node

State = TypeVar("State", bound=ClusterState)

#: Steps per node healed: restarted (or replaced), then ready.
PER_NODE = 2


class Healer(ABC, Generic[State]):
    """One driver's steps of a heal; `heal` runs them in the shared order."""

    #: How steps, events and reasons say things (a step "<node>: restarted", "<node>: ready";
    #: "<node> did not come back"; "restarted <nodes>"; what a lost manager would cost).
    restarted: str = "restarted"
    restarted_suffix: str = ""
    ready: str = "ready"
    came_back: str = "come back"
    #: A master as reasons name it, and the replicated store its replacement would join.
    master: str = "manager"
    members_of: str = "raft"
    #: Whether `replace_master` is built: a lost master is replaced when quorum allows.
    replaces_masters: bool = False

    @abstractmethod
    def lock(self, uuid: str) -> AbstractContextManager[object]:
        """The cluster's lock (held for the whole heal)."""

    @abstractmethod
    def load(self, spec: ClusterSpec) -> State | None:
        """The cluster's state, None when it was never created."""

    @abstractmethod
    def prepare(self, state: State, spec: ClusterSpec) -> None:
        """What every node needs before one restarts (network, registry, load balancer)."""

    @abstractmethod
    def finish_replacements(self, state: State, spec: ClusterSpec, events: list[str]) -> None:
        """What an interrupted call left: its new workers started, the old ones gone."""

    @abstractmethod
    def still_down(self, state: State, spec: ClusterSpec, wanted: Sequence[str]) -> list[Node]:
        """The live nodes found dead, and those of `wanted` (hostnames) not ready now."""

    @abstractmethod
    def restart(self, state: State, spec: ClusterSpec, node: Node) -> None:
        """Stop `node` if it still runs, then start it again."""

    @abstractmethod
    def wait_ready(self, state: State, spec: ClusterSpec, node: Node) -> None:
        """Wait until the restarted `node` is ready; raise when it is not."""

    @abstractmethod
    def start_replacement(self, state: State, spec: ClusterSpec, new: Node) -> None:
        """Start the new worker `new` and wait until it is ready."""

    @abstractmethod
    def remove_workers(
        self, state: State, spec: ClusterSpec, leaving: list[Node], events: list[str]
    ) -> None:
        """Drain and remove the workers `leaving`, and tear them down."""

    def replace_master(
        self, state: State, spec: ClusterSpec, node: Node, events: list[str]
    ) -> Node:
        """A new master in place of `node` (with `replaces_masters`); the new one."""
        raise NotImplementedError

    @abstractmethod
    def save(self, state: State) -> None:
        """Write `state` to its state file."""

    @abstractmethod
    def complete(self, state: State, reason: str, events: list[str]) -> DriverResult:
        """The COMPLETE result of the heal."""

    def heal(self, spec: ClusterSpec, wanted: Sequence[str]) -> DriverResult:
        """Bring back the nodes named in `wanted` (hostnames) and every node found dead."""
        events: list[str] = []
        with self.lock(spec.uuid):
            state = self.load(spec)
            if state is None:
                raise exceptions.NotSupported("Healing a local cluster that was never created")
            self.prepare(state, spec)
            self.finish_replacements(state, spec, events)
            targets = self.still_down(state, spec, wanted)
            steps = StepCounter(spec.progress, total=PER_NODE * len(targets))
            restarted: list[str] = []
            replaced: list[str] = []
            failed: list[Node] = []  # masters that did not come back: decided below
            for node in targets:
                try:
                    self.restart(state, spec, node)
                    steps.step(f"{node.hostname}: {self.restarted}")
                    self.wait_ready(state, spec, node)
                    steps.step(f"{node.hostname}: {self.ready}")
                    restarted.append(node.hostname)
                except Exception as exc:
                    events.append(f"{node.hostname} did not {self.came_back}: {exc}")
                    if node.role != WORKER:
                        failed.append(node)
                        continue
                    new = self.replace(state, spec, node, events)
                    steps.step(f"{node.hostname}: replaced by {new.hostname}")
                    steps.step(f"{new.hostname}: {self.ready}")
                    replaced.append(f"{node.hostname} by {new.hostname}")
            # Once every other node had its restart, quorum is known: the masters running now.
            lost: list[str] = [n.hostname for n in failed]
            if self.replaces_masters and keeps_quorum(state, len(failed)):
                for node in failed:
                    new = self.replace_master(state, spec, node, events)
                    steps.step(f"{node.hostname}: replaced by {new.hostname}")
                    steps.step(f"{new.hostname}: {self.ready}")
                    replaced.append(f"{node.hostname} by {new.hostname}")
                lost = []
            self.save(state)
        return self._result(state, restarted, replaced, lost, events)

    def replace(self, state: State, spec: ClusterSpec, node: Node, events: list[str]) -> Node:
        """A new worker of `node`'s nodegroup starts in place of `node`, which then goes."""
        nodegroup = groups.group_of(spec, node)
        new = (
            state.add_node(WORKER, spec.name)
            if nodegroup is None
            else groups.add_node(state, spec, nodegroup)  # the replacement joins the same pool
        )
        node.removing = True
        self.save(state)  # a repeated call finishes this replacement
        self.start_replacement(state, spec, new)
        self.remove_workers(state, spec, [node], events)
        events.append(f"replaced worker {node.hostname} ({node.address}) by {new.hostname}")
        return new

    def _result(
        self,
        state: State,
        restarted: list[str],
        replaced: list[str],
        lost: list[str],
        events: list[str],
    ) -> DriverResult:
        done = []
        if restarted:
            done.append(f"restarted {', '.join(restarted)}{self.restarted_suffix}")
        if replaced:
            done.append(f"replaced {', '.join(replaced)}")
        if lost:
            masters = sum(1 for n in state.live_nodes if n.role != WORKER)
            why = refusal(masters, lost, self.master, self.members_of)
            reason = f"{'; '.join([why, *done])}: see the events"
            failed = self.complete(state, reason, events)
            failed.outcome = Outcome.FAILED
            return failed
        reason = "healed: " + ("; ".join(done) if done else "every node was running again")
        return self.complete(state, reason, events)


def keeps_quorum(state: ClusterState, lost: int) -> bool:
    """Whether the live masters without `lost` of them are a majority of all: then a lost
    one can be removed and another added (never with one or two masters)."""
    masters = sum(1 for n in state.live_nodes if n.role != WORKER)
    return lost > 0 and masters - lost > masters // 2


def refusal(masters: int, lost: Sequence[str], role: str, store: str) -> str:
    """Why the masters `lost` (hostnames) of a cluster of `masters` masters, which did not come
    back, are not replaced (`role`: "manager" or "master"; `store`: "raft" or "etcd")."""
    left = masters - len(lost)
    if masters == 1:
        why = (
            f"it is the cluster's only {role}: the {store} data it held is the cluster's "
            f"state, which no new {role} could take over"
        )
    elif left <= masters // 2:
        why = (
            f"only {left} of {masters} {role}s run, no {store} quorum: no member can be "
            "removed or added"
        )
    else:
        why = (
            f"{left} of {masters} {role}s keep the {store} quorum, but replacing a {role} "
            f"(a new {store} member added, the lost one removed) is not built"
        )
    return f"{role}(s) {', '.join(lost)} did not come back and are not replaced: {why}"
