"""`mesos_ubuntu`: Apache Mesos (with Marathon) on Ubuntu, built by Heat."""

from __future__ import annotations

from typing import ClassVar

from dockyard.drivers.base import ClusterSpec, Provides
from dockyard.drivers.heat.driver import HeatDriver
from dockyard.drivers.mesos_ubuntu import template_def


class MesosUbuntuDriver(HeatDriver):
    """Apache Mesos (with Marathon) on Ubuntu (server type vm, image os_distro `ubuntu`)."""

    provides: ClassVar[tuple[Provides, ...]] = (Provides("vm", "ubuntu", "mesos"),)
    folder = template_def.FOLDER
    templates = template_def.TEMPLATES
    api = template_def.API
    container_version = template_def.CONTAINER_VERSION

    @staticmethod
    def coe_version(spec: ClusterSpec) -> str:
        return template_def.coe_version(spec)
