"""Template definition of `mesos_ubuntu`: Apache Mesos (with Marathon) on Ubuntu.

The stack is Dockyard's shared `cluster.yaml` (dockyard/drivers/heat/templates) with this
driver's `master-config.yaml` and `node-config.yaml` (and their scripts in `fragments/`) as
Dockyard::MasterConfig and Dockyard::NodeConfig; see dockyard.drivers.heat.template_def.
"""

from __future__ import annotations

from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.heat.template_def import ApiEndpoint, templates_of

FOLDER = "mesos_ubuntu"
TEMPLATES = templates_of(__file__)
API = ApiEndpoint("http", 8080, "http", 8080)
CONTAINER_VERSION = "1.12.6"


def coe_version(spec: ClusterSpec) -> str:
    """The COE version the cluster runs (the `coe_version` fact and stack parameter)."""
    return "1.0.0"
