"""Nodegroups beyond the default ones on a Heat cluster: a nested stack each.

`cluster.yaml` has a ResourceGroup `groups` of Dockyard::NodeGroup (`nodegroup.yaml`), one
member per *slot*. A nodegroup gets the next free slot when it is created and keeps it; its
entry in the hidden `nodegroups` parameter (slot -> name, node_count, to_remove, flavor,
image, node_labels, bundles) is what its nested stack builds. Deleting a group drops its
entry, so its nested stack shrinks to no servers, and marks its slot removed: slots are never
reused, so `number_of_nodegroups` is the number of slots ever given and slot *n* is always
member *n* of the ResourceGroup (no removal policy of the outer group is relied on).

The slots live in the cluster's driver state (`NODEGROUPS`: group uuid -> {slot, high,
removed}); `high` is the highest server index the group's own ResourceGroup has used, so
bundles (Kubernetes) are rendered for the indices Heat numbers next (as for the default
group, see `driver._node_indices`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dockyard.drivers.base import ClusterSpec, NodeGroupSpec
from dockyard.drivers.heat.template_def import label_text

#: driver_state key: nodegroup uuid -> {"slot": int, "high": int, "removed": bool}.
NODEGROUPS = "nodegroups"
#: Stack parameters (cluster.yaml).
GROUPS_PARAMETER = "nodegroups"
SLOTS_PARAMETER = "number_of_nodegroups"

#: Renders a group's bundles: (slot, group, server indices) -> a `*_bundles` parameter value.
GroupBundles = Callable[[int, NodeGroupSpec, Sequence[int]], dict[str, Any]]


def extra_groups(spec: ClusterSpec) -> list[NodeGroupSpec]:
    """The cluster's worker groups beyond the default ones."""
    return [ng for ng in spec.nodegroups if not ng.is_default and ng.role != "master"]


def slots(state: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(k): dict(v) for k, v in (state.get(NODEGROUPS) or {}).items()}


def allocate(state: Mapping[str, Any], uuid: str) -> tuple[dict[str, Any], int]:
    """`state` with a slot for group `uuid` (its own if it has one) and that slot."""
    known = slots(state)
    if uuid not in known:
        known[uuid] = {"slot": len(known), "high": -1, "removed": False}
    return {**state, NODEGROUPS: known}, int(known[uuid]["slot"])


def remove(state: Mapping[str, Any], uuid: str) -> dict[str, Any]:
    """`state` with group `uuid`'s slot marked removed (kept: slots are never reused)."""
    known = slots(state)
    if uuid in known:
        known[uuid]["removed"] = True
    return {**state, NODEGROUPS: known}


def per_slot(outputs: Mapping[str, Any], name: str, slot: int) -> Any:
    """One slot's value of a `nodegroup_*` stack output (None when absent)."""
    value = outputs.get(name)
    return value.get(str(slot)) if isinstance(value, Mapping) else None


def group_outputs(outputs: Mapping[str, Any], slot: int) -> dict[str, Any]:
    """A group's outputs under the default group's names (`node_refs_map`,
    `node_address_map`), for `scaling.nodes_to_remove` and index planning."""
    return {
        "node_refs_map": per_slot(outputs, "nodegroup_refs_maps", slot) or {},
        "node_address_map": per_slot(outputs, "nodegroup_address_maps", slot) or {},
    }


def indices(outputs: Mapping[str, Any], node_count: int, highest: int) -> list[int]:
    """Every index a group may use after an update to `node_count` nodes (see
    `driver._node_indices`): those in use, and `node_count` above the highest ever used."""
    current = outputs.get("node_refs_map")
    used = sorted(int(k) for k in current) if isinstance(current, Mapping) else []
    start = max([*used, highest], default=-1) + 1
    return sorted({*used, *range(start, start + node_count)})


def parameters(
    spec: ClusterSpec,
    state: Mapping[str, Any],
    outputs: Mapping[str, Any],
    render: GroupBundles | None,
    changes: Mapping[str, tuple[int, list[str]]] | None = None,
) -> dict[str, Any]:
    """The `nodegroups` and `number_of_nodegroups` parameters: an entry for every live group
    with a slot; `changes` gives a group's new (node_count, resource names to remove)."""
    known = slots(state)
    entries: dict[str, Any] = {}
    for group in extra_groups(spec):
        slot = known.get(group.uuid)
        if slot is None or slot["removed"]:
            continue
        count, to_remove = (changes or {}).get(group.uuid, (group.node_count, []))
        index = int(slot["slot"])
        wanted = indices(group_outputs(outputs, index), count, int(slot["high"]))
        entries[str(index)] = {
            "name": group.name,
            "node_count": count,
            "to_remove": list(to_remove),
            "flavor": group.flavor_id or spec.flavor_id or "",
            "image": group.image_id or spec.template.get("image_id") or "",
            "node_labels": label_text(group.labels_for_nodes),
            "bundles": render(index, group, wanted) if render is not None else {},
        }
    return {GROUPS_PARAMETER: entries, SLOTS_PARAMETER: len(known)}


def settled_state(state: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """`state` with each group's highest used index from a settled stack's outputs (None:
    nothing to record)."""
    known = slots(state)
    if not known:
        return None
    for slot in known.values():
        refs = per_slot(outputs, "nodegroup_refs_maps", int(slot["slot"])) or {}
        slot["high"] = max([int(slot["high"]), *(int(k) for k in refs)])
    return {**state, NODEGROUPS: known}


def addresses(state: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, list[str]]:
    """Node addresses per live group uuid, from the stack's outputs."""
    found: dict[str, list[str]] = {}
    for uuid, slot in slots(state).items():
        if not slot["removed"]:
            value = per_slot(outputs, "nodegroup_addresses", int(slot["slot"])) or []
            found[uuid] = [str(a) for a in value]
    return found
