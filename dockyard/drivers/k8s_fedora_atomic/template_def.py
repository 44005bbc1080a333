"""Template definition of `k8s_fedora_atomic`: Kubernetes on Fedora Atomic.

The stack is Dockyard's shared `cluster.yaml` (dockyard/drivers/heat/templates) with this
driver's `master-config.yaml` and `node-config.yaml` (and their scripts in `fragments/`) as
Dockyard::MasterConfig and Dockyard::NodeConfig; see dockyard.drivers.heat.template_def.
"""

from __future__ import annotations

from dockyard.domain.coe import LABELS
from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.heat.template_def import ApiEndpoint, DriverLayout, templates_of


def coe_version(spec: ClusterSpec) -> str:
    """The COE version the cluster runs (the `coe_version` fact and stack parameter)."""
    return spec.labels.get("kube_tag") or LABELS["kube_tag"].default


LAYOUT = DriverLayout(
    folder="k8s_fedora_atomic",
    templates=templates_of(__file__),
    api=ApiEndpoint("https", 6443, "http", 8080),
    coe_version=coe_version,
    container_version="1.12.6",
)
