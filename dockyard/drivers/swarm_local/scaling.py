"""Which workers go when a cluster shrinks (Magnum's heuristic, for swarm).

Nodes the user named go first; then nodes that run no task; only then nodes with running
tasks, fewest tasks first. Among equals the newest node goes first.
"""

from __future__ import annotations

from collections.abc import Mapping

from dockyard.common import exceptions
from dockyard.drivers.swarm_local.layout import Node


def _matches(node: Node, ident: str) -> bool:
    return ident in (node.name, node.hostname, node.address, node.swarm_id)


def choose_victims(
    workers: list[Node], remove: int, requested: list[str], tasks: Mapping[str, list[str]]
) -> list[Node]:
    """The `remove` workers to take away; `tasks` maps node names to their running tasks."""
    if remove <= 0:
        return []
    chosen: list[Node] = []
    for ident in requested:
        match = next((n for n in workers if _matches(n, ident)), None)
        if match is None:
            raise exceptions.InvalidParameterValue(f"nodes_to_remove: no worker node {ident!r}")
        if match not in chosen:
            chosen.append(match)
    if len(chosen) > remove:
        raise exceptions.InvalidParameterValue(
            f"nodes_to_remove names {len(chosen)} nodes but only {remove} are to be removed"
        )

    def order(node: Node) -> tuple[int, int]:
        return len(tasks.get(node.name, [])), -workers.index(node)

    rest = sorted((n for n in workers if n not in chosen), key=order)
    return chosen + rest[: remove - len(chosen)]
