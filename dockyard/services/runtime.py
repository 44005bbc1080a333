"""The objects every service function needs, built once by the composition root (cmd/)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from oslo_config import cfg

from dockyard.db.session import Database
from dockyard.drivers.registry import DriverRegistry
from dockyard.services.images import ImageCatalog
from dockyard.services.policy import PolicyEnforcer


def _nothing() -> None:
    return None


@dataclass
class Runtime:
    conf: cfg.ConfigOpts
    db: Database
    policy: PolicyEnforcer
    drivers: DriverRegistry
    images: ImageCatalog
    # Nudges an in-process conductor so a new operation starts without waiting for its poll.
    wake_conductor: Callable[[], None] = field(default=_nothing)


def build_runtime(conf: cfg.ConfigOpts, db: Database | None = None) -> Runtime:
    """Build a Runtime from configuration."""
    from dockyard.conf import database_url

    return Runtime(
        conf=conf,
        db=db or Database(database_url(conf), pool_size=conf.database.pool_size),
        policy=PolicyEnforcer(conf),
        drivers=DriverRegistry(
            conf.drivers.enabled_definitions,
            conf.drivers.disabled_drivers,
            conf.drivers.default_driver,
            conf,
        ),
        images=ImageCatalog(conf.images.catalog_file),
    )
