"""Template definition of `k8s_fedora_atomic`: Kubernetes on Fedora Atomic.

The stack is Dockyard's shared `cluster.yaml` (dockyard/drivers/heat/templates) with this
driver's `master-config.yaml` and `node-config.yaml` (and their scripts in `fragments/`) as
Dockyard::MasterConfig and Dockyard::NodeConfig; see dockyard.drivers.heat.template_def.
"""

from __future__ import annotations

from dockyard.domain.coe import LABELS
from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.heat.template_def import ApiEndpoint, templates_of

FOLDER = "k8s_fedora_atomic"
TEMPLATES = templates_of(__file__)
API = ApiEndpoint("https", 6443, "http", 8080)
CONTAINER_VERSION = "1.12.6"


def coe_version(spec: ClusterSpec) -> str:
    """The COE version the cluster runs (the `coe_version` fact and stack parameter)."""
    return spec.labels.get("kube_tag") or LABELS["kube_tag"].default
