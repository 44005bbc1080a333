"""Which nodes leave when a Heat cluster shrinks (Magnum's `nodes_to_remove` heuristic).

The node ResourceGroup names its members by index ("0", "1", ...); its removal policy removes
the names in `minions_to_remove` first, then the highest indices. Magnum's scale manager picks
the nodes the user named (server ids), then nodes without containers, then the newest. The COE
is not asked here (a conductor does not reach into clusters), so after the named nodes come
the newest ones: the highest indices, which is also what Heat does on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dockyard.common import exceptions


def _index(name: str) -> int:
    return int(name) if name.isdigit() else -1


def nodes_to_remove(
    outputs: Mapping[str, Any], node_count: int, requested: Sequence[str]
) -> list[str]:
    """Resource names of the nodes to remove, in order, for a group shrinking to
    `node_count`. `requested` holds server ids, addresses or resource names of nodes the
    caller wants gone (Magnum's `nodes_to_remove`); unknown ones are refused."""
    refs: dict[str, str] = {str(k): str(v) for k, v in (outputs.get("node_refs_map") or {}).items()}
    addresses = {str(k): str(v) for k, v in (outputs.get("node_address_map") or {}).items()}
    by_ref = {ref: name for name, ref in refs.items()}
    by_address = {address: name for name, address in addresses.items()}
    current = sorted(refs, key=_index)
    surplus = max(0, len(current) - node_count)
    chosen: list[str] = []
    for wanted in requested:
        name = by_ref.get(wanted) or by_address.get(wanted) or (wanted if wanted in refs else None)
        if name is None:
            raise exceptions.InvalidParameterValue(
                f"nodes_to_remove: {wanted} is not a node of this cluster."
            )
        if name not in chosen:
            chosen.append(name)
    if len(chosen) > surplus:
        raise exceptions.InvalidParameterValue(
            f"nodes_to_remove names {len(chosen)} node(s), but shrinking from {len(current)} to "
            f"{node_count} removes {surplus}."
        )
    for name in reversed(current):
        if len(chosen) >= surplus:
            break
        if name not in chosen:
            chosen.append(name)
    return chosen
