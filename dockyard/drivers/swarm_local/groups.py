"""Which nodes of a local cluster belong to which nodegroup, and the labels they carry.

A node records the uuid of its group (`Node.nodegroup`); nodes of the default groups record
none (state files written before nodegroups existed read the same way). Each node carries its
group's name and role as engine labels (fixed when its dockerd starts), and as swarm node
labels together with the group's `node_labels`, so `docker node ls --filter
node.label=magnum.openstack.org/nodegroup=<name>` lists a pool and services can be placed on
it (`--constraint node.labels.pool==gpu`). Dockyard owns the swarm labels of its nodes: a
relabel sets exactly the group's labels.
"""

from __future__ import annotations

from dockyard.drivers.base import NODEGROUP_LABEL, ROLE_LABEL, ClusterSpec, NodeGroupSpec
from dockyard.drivers.swarm_local.layout import MANAGER, WORKER, ClusterState, Node


def swarm_role(nodegroup: NodeGroupSpec) -> str:
    """The swarm role of a group's nodes: managers for the master group, else workers."""
    return MANAGER if nodegroup.role == "master" else WORKER


def recorded_as(nodegroup: NodeGroupSpec) -> str | None:
    """What the nodes of `nodegroup` record in `Node.nodegroup`."""
    return None if nodegroup.is_default else nodegroup.uuid


def members(state: ClusterState, nodegroup: NodeGroupSpec) -> list[Node]:
    """The nodes of `nodegroup` (those being removed included)."""
    role = swarm_role(nodegroup)
    mark = recorded_as(nodegroup)
    return [n for n in state.nodes if n.role == role and n.nodegroup == mark]


def group_of(spec: ClusterSpec, node: Node) -> NodeGroupSpec | None:
    """The nodegroup `node` belongs to, None when the spec no longer has it."""
    for nodegroup in spec.nodegroups:
        if nodegroup.is_default:
            if node.nodegroup is None and swarm_role(nodegroup) == node.role:
                return nodegroup
        elif node.nodegroup == nodegroup.uuid:
            return nodegroup
    return None


def engine_labels(nodegroup: NodeGroupSpec) -> dict[str, str]:
    """The fixed labels a node of `nodegroup` starts its dockerd with."""
    return {NODEGROUP_LABEL: nodegroup.name, ROLE_LABEL: nodegroup.role}


def add_node(state: ClusterState, spec: ClusterSpec, nodegroup: NodeGroupSpec) -> Node:
    """Record a new node of `nodegroup` (nothing is created yet)."""
    return state.add_node(
        swarm_role(nodegroup), spec.name, recorded_as(nodegroup), engine_labels(nodegroup)
    )


def wanted_labels(spec: ClusterSpec, nodes: list[Node]) -> dict[str, dict[str, str]]:
    """Swarm node labels by swarm node id, for those of `nodes` that joined."""
    wanted = {}
    for node in nodes:
        nodegroup = group_of(spec, node)
        if node.swarm_id and nodegroup is not None:
            wanted[node.swarm_id] = nodegroup.labels_for_nodes
    return wanted


def addresses(state: ClusterState, spec: ClusterSpec | None) -> dict[str, list[str]]:
    """Addresses of the live nodes of each nodegroup, by nodegroup uuid: the groups the nodes
    record (not the default ones, which record none), and with `spec` every group of it
    (a group emptied by a resize or a delete: no address)."""
    found: dict[str, list[str]] = {}
    for node in state.nodes:
        if node.nodegroup is not None:
            found.setdefault(node.nodegroup, [])
            if not node.removing:
                found[node.nodegroup].append(node.address)
    for nodegroup in spec.nodegroups if spec is not None else ():
        found[nodegroup.uuid] = [n.address for n in members(state, nodegroup) if not n.removing]
    return found


def plan_nodes(state: ClusterState, spec: ClusterSpec) -> None:
    """Record the nodes the cluster still lacks, each in its nodegroup."""
    master = next((ng for ng in spec.nodegroups if ng.is_default and ng.role == "master"), None)
    while len(state.managers) < spec.master_count:
        if master is None:
            state.add_node(MANAGER, spec.name)
        else:
            add_node(state, spec, master)
    worker_groups = [ng for ng in spec.nodegroups if ng.role != "master"]
    if not worker_groups:  # a spec without its nodegroups: node_count default workers
        while len([w for w in state.workers if not w.removing]) < spec.node_count:
            state.add_node(WORKER, spec.name)
    for nodegroup in worker_groups:
        while len([n for n in members(state, nodegroup) if not n.removing]) < (
            nodegroup.node_count
        ):
            add_node(state, spec, nodegroup)
