"""`swarm_fedora_atomic`: Docker Swarm on Fedora Atomic, built by Heat."""

from __future__ import annotations

from typing import ClassVar

from dockyard.drivers.base import Provides
from dockyard.drivers.heat import layouts
from dockyard.drivers.heat.tls_servers import TlsHeatDriver


class SwarmFedoraAtomicDriver(TlsHeatDriver):
    """Docker Swarm on Fedora Atomic (server type vm, image os_distro `fedora-atomic`)."""

    provides: ClassVar[tuple[Provides, ...]] = (Provides("vm", "fedora-atomic", "swarm"),)
    layout = layouts.SWARM_FEDORA_ATOMIC
