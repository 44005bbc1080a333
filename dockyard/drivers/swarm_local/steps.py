"""Progress of a local-driver call: per node, network attached, engine started, joined, ready.

Operations build a `StepCounter` (drivers.base) over `ClusterSpec.progress` and hand the node
machinery a `NodeStep` that names the node in each report.
"""

from __future__ import annotations

from collections.abc import Callable

from dockyard.drivers.base import ClusterSpec, StepCounter
from dockyard.drivers.swarm_local.layout import Node

#: Called when `node` finished a step, with the step in a few words.
NodeStep = Callable[[Node, str], None]

NETWORK = "network attached"
ENGINE = "engine started"
JOINED = "joined the swarm"
READY = "ready"
#: Steps each node reports while it is built and joins (the four above).
PER_NODE = 4


def no_step(node: Node, what: str) -> None:
    """A `NodeStep` that reports nothing (calls outside create and resize)."""
    return None


def counter(spec: ClusterSpec, nodes: int, extra: int = 0) -> StepCounter:
    """Counts the steps of building `nodes` nodes, plus `extra` cluster-wide steps."""
    return StepCounter(spec.progress, total=extra + PER_NODE * nodes)


def for_nodes(steps: StepCounter) -> NodeStep:
    """A `NodeStep` that reports through `steps` as "<hostname>: <step>"."""
    return lambda node, what: steps.step(f"{node.hostname}: {what}")
