"""Nodegroups on Heat clusters (drivers/heat/nodegroups.py): slots are given once and never
reused, a group's entry carries its count, removals, flavor, image, labels and bundles, and a
deleted group's slot stays, empty. And the drivers' config wrappers, generated from their
declared layouts (layouts.py)."""

from __future__ import annotations

import yaml

from dockyard.certs.x509 import generate_ca
from dockyard.drivers.base import NODEGROUP_LABEL, ClusterSpec, NodeGroupSpec
from dockyard.drivers.heat import kubernetes, layouts, node_bundle, nodegroups
from dockyard.drivers.heat.template_def import TemplateDefinition, worker_count

MASTERS = NodeGroupSpec("m", "default-master", "master", 1, None, None, {})
WORKERS = NodeGroupSpec("w", "default-worker", "worker", 2, None, None, {})
GPU = NodeGroupSpec(
    "g1", "gpu", "worker", 3, "big", None, {}, is_default=False, node_labels={"pool": "gpu"}
)
EDGE = NodeGroupSpec("g2", "edge", "worker", 1, None, "edge-img", {}, is_default=False)


def _spec(*groups: NodeGroupSpec, state: dict[str, object] | None = None) -> ClusterSpec:
    return ClusterSpec(
        uuid="0b7a5c0e-1111-4222-8333-944455556666",
        name="k",
        project_id="p",
        coe="kubernetes",
        master_count=1,
        node_count=sum(g.node_count for g in groups if g.role != "master"),
        labels={},
        template={"image_id": "fedora", "master_lb_enabled": False},
        create_timeout=60,
        docker_volume_size=None,
        keypair=None,
        master_flavor_id="small",
        flavor_id="small",
        nodegroups=(MASTERS, WORKERS, *groups),
        driver_state=state or {},
        ca=generate_ca("ca"),
    )


def test_slots_are_given_once_and_never_reused() -> None:
    state, slot = nodegroups.allocate({}, "g1")
    assert slot == 0
    state, again = nodegroups.allocate(state, "g1")
    assert again == 0
    state = nodegroups.remove(state, "g1")
    state, slot = nodegroups.allocate(state, "g2")
    assert slot == 1
    assert nodegroups.slots(state)["g1"]["removed"] is True


def test_entries_of_live_groups_and_the_default_groups_stay_in_the_top_level() -> None:
    state, _ = nodegroups.allocate({}, "g1")
    state, _ = nodegroups.allocate(state, "g2")
    state = nodegroups.remove(state, "g1")
    spec = _spec(GPU, EDGE, state=state)
    assert worker_count(spec) == 2  # number_of_minions: the default worker group only
    params = nodegroups.parameters(spec, state, {}, None)
    assert params[nodegroups.SLOTS_PARAMETER] == 2  # slot 0 stays, empty
    assert list(params[nodegroups.GROUPS_PARAMETER]) == ["1"]
    edge = params[nodegroups.GROUPS_PARAMETER]["1"]
    assert edge["name"] == "edge" and edge["node_count"] == 1
    assert edge["flavor"] == "small" and edge["image"] == "edge-img"
    assert f"{NODEGROUP_LABEL}=edge" in edge["node_labels"]


def test_a_resize_names_what_leaves_and_bundles_follow_heats_numbering() -> None:
    state, _ = nodegroups.allocate({}, "g1")
    state["nodegroups"]["g1"]["high"] = 2  # type: ignore[index]
    outputs = {"nodegroup_refs_maps": {"0": {"0": "a", "2": "c"}}}
    spec = _spec(GPU, state=state)
    seen: list[list[int]] = []

    def render(slot: int, group: NodeGroupSpec, indices: object) -> dict[str, object]:
        seen.append(list(indices))  # type: ignore[call-overload]
        return {}

    params = nodegroups.parameters(spec, state, outputs, render, {"g1": (3, ["0"])})
    entry = params[nodegroups.GROUPS_PARAMETER]["0"]
    assert entry["node_count"] == 3 and entry["to_remove"] == ["0"]
    assert seen == [[0, 2, 3, 4, 5]]
    assert nodegroups.settled_state(state, outputs) == state


def test_kubernetes_group_nodes_carry_the_groups_labels_at_planned_addresses() -> None:
    spec = _spec(GPU)
    params = kubernetes.group_bundles(spec, "k-0b7a", 2, GPU, [0])
    assert params["0"]["address"] == "10.0.0.160"
    files = node_bundle.decode(params["0"]["bundle"])
    kubelet = next(data for path, (data, _) in files.items() if path.endswith("-kubelet.args"))
    assert b"pool=gpu" in kubelet and f"{NODEGROUP_LABEL}=gpu".encode() in kubelet
    assert b"k-0b7a-gpu-node-0" in files["/etc/kubernetes/node.env"][0]


def test_wrappers_are_generated_from_the_declared_layouts() -> None:
    for folder, layout in layouts.LAYOUTS.items():
        files = TemplateDefinition(layout).files
        for kind in ("master", "node"):
            wrapper = yaml.safe_load(files[f"{folder}/{kind}-config.yaml"])
            replace = wrapper["resources"]["config"]["properties"]["config"]["str_replace"]
            script = files[replace["template"]["get_file"]]
            # Every placeholder the script has is replaced, and nothing else is asked for.
            placeholders = {p for p in replace["params"]}
            used = {p for p in placeholders if p in script}
            assert used == placeholders, (folder, kind, placeholders - used)
