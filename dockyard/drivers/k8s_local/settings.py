"""The local Kubernetes driver's settings as plain values (read by options.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.kube_local.binaries import KubeBinaries

#: Magnum's defaults for the pods' and services' networks (labels flannel_network_cidr,
#: service_cluster_ip_range). They exist only inside each cluster's namespaces; the host
#: blackholes both ranges.
DEFAULT_POD_CIDR = "10.100.0.0/16"
DEFAULT_SERVICE_CIDR = "10.254.0.0/16"


@dataclass(frozen=True, slots=True)
class KubeSettings:
    local: LocalSettings
    binaries: KubeBinaries = field(default_factory=KubeBinaries)
    #: Seconds for new nodes to register and report Ready.
    ready_timeout: float = 180.0
    #: Seconds a drained node's pods have to leave before it is removed anyway.
    drain_timeout: float = 30.0
