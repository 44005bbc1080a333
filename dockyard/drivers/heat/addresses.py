"""Planned addresses of a Heat cluster's servers, which their bundles' certificates name.

Servers of a stack that makes its own network get fixed addresses on it (`server.yaml` fixes
each port to its bundle's address): masters from .10, the default worker group's nodes from
.20, nodegroup slot n's from .128 + 16 n (see `nodegroups`), the API load balancer's VIP at
.5; each server's pod /24 (Kubernetes) is numbered like its host part. A template that names
its own network is not Dockyard's to plan.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.drivers.base import ClusterSpec

DEFAULT_FIXED_CIDR = "10.0.0.0/24"  # cluster.yaml's fixed_network_cidr
DEFAULT_POD_CIDR = "10.100.0.0/16"  # label flannel_network_cidr
LB_OFFSET = 5
MASTER_OFFSET = 10
NODE_OFFSET = 20
MAX_MASTERS = NODE_OFFSET - MASTER_OFFSET
#: Nodegroups beyond the default ones: slot n's servers from .128 + 16 n (8 slots of 16).
GROUP_OFFSET = 128
GROUP_BLOCK = 16
MAX_GROUP_SLOTS = (256 - GROUP_OFFSET) // GROUP_BLOCK
MAX_DEFAULT_NODES = GROUP_OFFSET - NODE_OFFSET


class PlanError(ValueError):
    """The cluster cannot be given planned addresses."""


@dataclass(frozen=True, slots=True)
class AddressPlan:
    """Fixed addresses of a stack's servers on the network the stack makes."""

    network: ipaddress.IPv4Network
    pods: ipaddress.IPv4Network

    def _host(self, offset: int) -> str:
        address = self.network.network_address + offset
        if address >= self.network.broadcast_address - 1:
            raise PlanError(
                f"the cluster network {self.network} has no address for offset {offset}"
            )
        return str(address)

    def master(self, index: int) -> str:
        if index >= MAX_MASTERS:
            raise PlanError(f"at most {MAX_MASTERS} masters")
        return self._host(MASTER_OFFSET + index)

    def node(self, index: int) -> str:
        if index >= MAX_DEFAULT_NODES:
            raise PlanError(f"the default worker group has at most {MAX_DEFAULT_NODES} indices")
        return self._host(NODE_OFFSET + index)

    def group_node(self, slot: int, index: int) -> str:
        """Server `index` of the nodegroup in `slot` (see `nodegroups`)."""
        if slot >= MAX_GROUP_SLOTS:
            raise PlanError(
                f"a Kubernetes cluster on Heat has at most {MAX_GROUP_SLOTS} nodegroups beyond "
                "the default ones over its life (their servers' addresses are planned)"
            )
        if index >= GROUP_BLOCK:
            raise PlanError(
                f"a nodegroup of a Kubernetes cluster on Heat has at most {GROUP_BLOCK} server "
                "indices over its life (removed servers' indices are not reused)"
            )
        return self._host(GROUP_OFFSET + GROUP_BLOCK * slot + index)

    @property
    def load_balancer(self) -> str:
        return self._host(LB_OFFSET)

    def pod_subnet(self, address: str) -> str:
        """The /24 of the pod network numbered like the server's host part."""
        number = int(ipaddress.IPv4Address(address)) - int(self.network.network_address)
        for i, subnet in enumerate(self.pods.subnets(new_prefix=24)):
            if i == number:
                return str(subnet)
        raise PlanError(f"the pod network {self.pods} has no /24 for {address}")


def plannable(spec: ClusterSpec) -> bool:
    """Whether the stack makes its own network (a template's is not Dockyard's to plan)."""
    return plannable_template(spec.template)


def plannable_template(template: Mapping[str, Any]) -> bool:
    """Whether stacks of `template` make their own network (see `plannable`)."""
    return not (template.get("fixed_network") or template.get("fixed_subnet"))


def plan_for(spec: ClusterSpec) -> AddressPlan:
    """The plan of `spec`'s stack; refuses a template that names its own network."""
    if not plannable(spec):
        raise PlanError(
            "Kubernetes clusters on Heat place their servers at planned addresses of the "
            "network the stack creates; a template's fixed_network/fixed_subnet is not "
            "supported by this driver yet"
        )
    pods = ipaddress.IPv4Network(spec.labels.get("flannel_network_cidr") or DEFAULT_POD_CIDR)
    return AddressPlan(ipaddress.IPv4Network(DEFAULT_FIXED_CIDR), pods)


def server_name(stack: str, role: str, index: int) -> str:
    """The server's name as cluster.yaml gives it (`<stack>-<master|node>-<index>`), which
    is also its Kubernetes node name; nodegroup.yaml's are `<stack>-<group>-node-<index>`."""
    return f"{stack}-{role}-{index}"
