"""A local Kubernetes cluster's state: swarm_local's, plus its networks and load balancer."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from dockyard.drivers.swarm_local.layout import FIRST_HOST, ClusterState, HelperNames, Node

LB_HOST = 3  # the load balancer's address on the cluster's /24 (.2 is a registry's)
KIND = "kubernetes"


@dataclass(slots=True)
class KubeState(ClusterState):
    kind: str = KIND
    pod_cidr: str = ""
    service_cidr: str = ""
    kube_version: str | None = None
    lb_pid: int | None = None
    lb_start_time: int | None = None
    #: sha256 of the cluster CA the nodes' certificates were issued from.
    ca_fingerprint: str | None = None

    @property
    def lb_names(self) -> HelperNames:
        """The API load balancer's address, namespace, veth and cgroup."""
        return self.helper(LB_HOST, "lb")

    def pod_subnet(self, node: Node) -> str:
        """The node's /24 of the pod network, from its address (never reused while it lives)."""
        network = ipaddress.IPv4Network(self.pod_cidr)
        first = int(network.network_address) + (node.octet - FIRST_HOST) * 256
        subnet = ipaddress.IPv4Network((first, 24))
        if not subnet.subnet_of(network):
            raise ValueError(f"pod network {self.pod_cidr} has no /24 for node {node.name}")
        return str(subnet)


@dataclass(frozen=True, slots=True)
class KubePaths:
    """Where one node's Kubernetes files are on the host (and so in the node)."""

    root: str  # the node's directory (swarm_local NodePaths.root)
    run: str  # the node's runtime directory (NodePaths.exec_root)

    @property
    def config(self) -> str:
        return os.path.join(self.root, "kube")

    @property
    def data(self) -> str:
        return os.path.join(self.root, "kube-data")
