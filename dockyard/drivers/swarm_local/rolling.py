"""The order in which rolling restarts (an upgrade, certificate waves) restart nodes.

Managers go one at a time, the raft leader last (one election instead of several, and raft
keeps its quorum); workers then go `max_batch` at a time, in the cluster's order.
"""

from __future__ import annotations

from dockyard.common import exceptions
from dockyard.drivers.swarm_local.layout import MANAGER, Node


def batches(nodes: list[Node], max_batch: int, leaders: set[str]) -> list[list[Node]]:
    """`nodes` split into the groups restarted together; `leaders` holds the leader's ID."""
    if max_batch < 1:
        raise exceptions.InvalidParameterValue(f"max_batch_size must be 1 or more, not {max_batch}")
    managers = sorted((n for n in nodes if n.role == MANAGER), key=lambda n: n.swarm_id in leaders)
    workers = [n for n in nodes if n.role != MANAGER]
    groups = [[m] for m in managers]
    groups += [workers[i : i + max_batch] for i in range(0, len(workers), max_batch)]
    return groups
