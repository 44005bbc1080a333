"""Nodegroups of a local Kubernetes cluster: their nodes' labels and taints.

Which node is in which group is recorded as for swarm clusters (swarm_local/groups.py). Each
node carries `magnum.openstack.org/nodegroup=<group>`, `magnum.openstack.org/role=<role>` and
its group's `node_labels`; a worker also carries its group's `node_taints`. Dockyard owns a
node's labels outside Kubernetes' own namespaces and its taints outside the system ones
(`node-role.kubernetes.io/`, `node.kubernetes.io/`): a relabel sets exactly the group's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dockyard.domain.nodegroups import in_kubernetes_namespace
from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.kube_node import config as kube
from dockyard.drivers.swarm_local.groups import group_of
from dockyard.drivers.swarm_local.layout import MANAGER, Node
from dockyard.providers.kube_local.api import KubeApi

SYSTEM_TAINTS = ("node-role.kubernetes.io/", "node.kubernetes.io/")


def labeller(spec: ClusterSpec) -> Callable[[Node], dict[str, str]]:
    """The labels of each node from its nodegroup (none for a node of no group of `spec`)."""

    def labels(node: Node) -> dict[str, str]:
        nodegroup = group_of(spec, node)
        return dict(nodegroup.labels_for_nodes) if nodegroup is not None else {}

    return labels


def ensure(api: KubeApi, spec: ClusterSpec, nodes: list[Node]) -> int:
    """Give each of `nodes` exactly its group's labels and (workers) taints; returns how
    many nodes changed."""
    registered = api.nodes()
    labels = labeller(spec)
    changed = 0
    for node in nodes:
        item = registered.get(node.hostname)
        nodegroup = group_of(spec, node)
        if item is None or nodegroup is None:
            continue
        wanted = {kube.ROLE_LABEL: "master" if node.role == MANAGER else "worker"}
        wanted.update(labels(node))
        current = dict(item["metadata"].get("labels") or {})
        stale = [k for k in current if k not in wanted and not in_kubernetes_namespace(k)]
        if stale or any(current.get(k) != v for k, v in wanted.items()):
            api.label(node.hostname, wanted)
            api.unlabel(node.hostname, stale)
            changed += 1
        if node.role == MANAGER:
            continue  # masters keep the taint they registered with, and get no others
        taints = list(item.get("spec", {}).get("taints") or [])
        kept = [t for t in taints if str(t.get("key", "")).startswith(SYSTEM_TAINTS)]
        ours = [
            {k: v for k, v in t.items() if v != "" or k != "value"} for t in nodegroup.node_taints
        ]
        if _key(taints) != _key(kept + ours):
            api.set_taints(node.hostname, kept + ours)
            changed += 1
    return changed


def _taint(taint: Mapping[str, str]) -> dict[str, str]:
    """A taint as the API shows it (no `value` when it is empty)."""
    shown = {"key": taint["key"], "effect": taint["effect"]}
    if taint.get("value"):
        shown["value"] = taint["value"]
    return shown


def _key(taints: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return sorted((t.get("key", ""), t.get("value", "") or "", t.get("effect", "")) for t in taints)
