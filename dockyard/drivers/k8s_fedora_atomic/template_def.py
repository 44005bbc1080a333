"""Template definition of `k8s_fedora_atomic`: Kubernetes on Fedora Atomic.

The stack is Dockyard's shared `cluster.yaml` (dockyard/drivers/heat/templates) with this
driver's `master-config.yaml` and `node-config.yaml` (and their scripts in `fragments/`) as
Dockyard::MasterConfig and Dockyard::NodeConfig; see dockyard.drivers.heat.template_def.
"""

from __future__ import annotations

from dockyard.drivers.heat.template_def import (
    ApiEndpoint,
    DriverLayout,
    kubernetes_version,
    templates_of,
)

LAYOUT = DriverLayout(
    folder="k8s_fedora_atomic",
    templates=templates_of(__file__),
    api=ApiEndpoint("https", 6443, "http", 8080),
    coe_version=kubernetes_version,
    container_version="1.12.6",
)
