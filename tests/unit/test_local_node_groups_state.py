"""The local driver's record of which node is in which nodegroup, and what it reports."""

from __future__ import annotations

from dockyard.drivers.base import ClusterSpec, NodeGroupSpec
from dockyard.drivers.swarm_local import groups, results
from dockyard.drivers.swarm_local.layout import MANAGER, WORKER, ClusterState, StateStore
from dockyard.drivers.swarm_local.settings import LocalSettings

MASTER = NodeGroupSpec("u-m", "default-master", "master", 1, None, None, {})
WORKERS = NodeGroupSpec("u-w", "default-worker", "worker", 1, None, None, {})
POOL = NodeGroupSpec(
    "u-p", "pool", "gpu", 2, None, None, {}, is_default=False, node_labels={"disk": "ssd"}
)


def _spec(*nodegroups: NodeGroupSpec) -> ClusterSpec:
    return ClusterSpec(
        uuid="c", name="c1", project_id="p", coe="swarm-mode", master_count=1, node_count=3,
        labels={}, template={}, create_timeout=60, docker_volume_size=None, keypair=None,
        master_flavor_id=None, flavor_id=None, nodegroups=nodegroups, driver_state={},
    )  # fmt: skip


def test_state_files_without_nodegroups_read_as_default_groups() -> None:
    old = {
        "uuid": "c", "key": "abcd1234", "subnet": "10.9.0.0/24", "tls": False,
        "storage_driver": "vfs",
        "nodes": [
            {"name": "m0", "role": MANAGER, "address": "10.9.0.10", "hostname": "c1-master-0"},
            {"name": "w0", "role": WORKER, "address": "10.9.0.11", "hostname": "c1-node-0"},
        ],
    }  # fmt: skip
    state = ClusterState.from_dict(old)
    spec = _spec(MASTER, WORKERS, POOL)
    assert [n.name for n in groups.members(state, WORKERS)] == ["w0"]
    assert [n.name for n in groups.members(state, MASTER)] == ["m0"]
    assert groups.members(state, POOL) == []
    assert groups.group_of(spec, state.node("w0")) == WORKERS
    assert state.node("w0").engine_labels == {}


def test_nodes_of_a_group_are_recorded_and_labelled(tmp_path: object) -> None:
    state = ClusterState("c", "abcd1234", "10.9.0.0/24", False, "vfs")
    spec = _spec(MASTER, WORKERS, POOL)
    groups.add_node(state, spec, MASTER)
    groups.add_node(state, spec, WORKERS)
    a, b = groups.add_node(state, spec, POOL), groups.add_node(state, spec, POOL)
    assert (a.role, a.nodegroup, b.nodegroup) == (WORKER, "u-p", "u-p")
    assert a.engine_labels == {
        "magnum.openstack.org/nodegroup": "pool", "magnum.openstack.org/role": "gpu"
    }  # fmt: skip
    assert groups.members(state, WORKERS) == [state.node("w0")]
    assert groups.members(state, POOL) == [a, b]

    # Survives the state file.
    again = ClusterState.from_dict(state.to_dict())
    assert [n.nodegroup for n in again.nodes] == [None, None, "u-p", "u-p"]

    for i, node in enumerate(state.nodes):
        node.swarm_id = f"id{i}"
    wanted = groups.wanted_labels(spec, state.nodes)
    assert wanted["id2"] == {
        "disk": "ssd", "magnum.openstack.org/nodegroup": "pool", "magnum.openstack.org/role": "gpu"
    }  # fmt: skip
    assert wanted["id1"]["magnum.openstack.org/nodegroup"] == "default-worker"

    b.removing = True
    store = StateStore(LocalSettings(state_dir=str(tmp_path)))
    facts = results.facts(store, state, spec)
    assert facts.node_addresses == [state.node("w0").address]
    assert facts.nodegroup_addresses is not None
    assert facts.nodegroup_addresses["u-p"] == [a.address]
    state.nodes.remove(a)
    state.nodes.remove(b)
    emptied = results.facts(store, state, spec).nodegroup_addresses
    assert emptied is not None and emptied["u-p"] == []
