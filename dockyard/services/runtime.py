"""What the service functions take: the process's collaborators, built by `cmd/wiring.py`.

A plain value: this module builds nothing and imports no service module, so no service
depends on how its collaborators are made. The conductor sees the same object through its
narrower `conductor.deps.ConductorDeps`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from oslo_config import cfg

from dockyard.certs.stores import CertStore
from dockyard.db.session import Database
from dockyard.drivers.registry import DriverRegistry
from dockyard.notifications.notifier import Notifier
from dockyard.services.images import ImageCatalog
from dockyard.services.openstack_checks import OpenStackChecks
from dockyard.services.policy import PolicyEnforcer
from dockyard.volume_drivers.registry import VolumeDriverRegistry


def _nothing() -> None:
    return None


@dataclass
class Runtime:
    conf: cfg.ConfigOpts
    db: Database
    policy: PolicyEnforcer
    drivers: DriverRegistry
    images: ImageCatalog
    certs: CertStore
    notifier: Notifier
    volume_drivers: VolumeDriverRegistry
    # Nudges an in-process conductor so a new operation starts without waiting for its poll.
    wake_conductor: Callable[[], None] = field(default=_nothing)
    # Glance/Nova/Neutron checks ([openstack] lookups); None: the image catalog only.
    openstack: OpenStackChecks | None = None
