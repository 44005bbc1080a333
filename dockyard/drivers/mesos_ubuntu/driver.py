"""`mesos_ubuntu`: Apache Mesos (with Marathon) on Ubuntu, built by Heat."""

from __future__ import annotations

from typing import ClassVar

from dockyard.drivers.base import Provides
from dockyard.drivers.heat import layouts
from dockyard.drivers.heat.tls_servers import TlsHeatDriver


class MesosUbuntuDriver(TlsHeatDriver):
    """Apache Mesos (with Marathon) on Ubuntu (server type vm, image os_distro `ubuntu`)."""

    provides: ClassVar[tuple[Provides, ...]] = (Provides("vm", "ubuntu", "mesos"),)
    layout = layouts.MESOS_UBUNTU
