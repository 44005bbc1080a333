"""Template definition of `mesos_ubuntu`: Apache Mesos (with Marathon) on Ubuntu.

The stack is Dockyard's shared `cluster.yaml` (dockyard/drivers/heat/templates) with this
driver's `master-config.yaml` and `node-config.yaml` (and their scripts in `fragments/`) as
Dockyard::MasterConfig and Dockyard::NodeConfig; see dockyard.drivers.heat.template_def.
"""

from __future__ import annotations

from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.heat.template_def import ApiEndpoint, DriverLayout, templates_of


def coe_version(spec: ClusterSpec) -> str:
    """The COE version the cluster runs (the `coe_version` fact and stack parameter)."""
    return "1.0.0"


LAYOUT = DriverLayout(
    folder="mesos_ubuntu",
    templates=templates_of(__file__),
    api=ApiEndpoint("http", 8080, "http", 8080),
    coe_version=coe_version,
    container_version="1.12.6",
)
