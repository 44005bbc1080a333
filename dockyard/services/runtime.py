"""The objects every service function needs, built once by the composition root (cmd/)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oslo_config import cfg

from dockyard.certs.stores import (
    BarbicanStore,
    CertStore,
    LocalStore,
    X509KeypairStore,
    load_or_create_key,
)
from dockyard.conf import database_url, keystone_authtoken
from dockyard.db.repositories.certificates import DatabaseCertificateRows
from dockyard.db.session import Database
from dockyard.drivers.registry import DriverRegistry
from dockyard.notifications.notifier import Notifier
from dockyard.services.images import ImageCatalog
from dockyard.services.openstack_checks import OpenStackChecks
from dockyard.services.openstack_checks import build as build_openstack_checks
from dockyard.services.policy import PolicyEnforcer
from dockyard.services.volume_backends import build as build_volume_drivers
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


def build_cert_store(conf: cfg.ConfigOpts, db: Database) -> CertStore:
    """The certificate store named by `[certificates] cert_manager_type`."""
    state_path = os.path.abspath(conf.state_path)
    options = conf.certificates
    if options.cert_manager_type == "local":
        return LocalStore(options.storage_path or os.path.join(state_path, "certificates"))
    if options.cert_manager_type == "barbican":
        return BarbicanStore(_barbican_client(conf))
    key = options.encryption_key
    encryption_key = (
        key.encode() if key else load_or_create_key(os.path.join(state_path, "certificates.key"))
    )
    return X509KeypairStore(DatabaseCertificateRows(db), encryption_key)


def _barbican_client(conf: cfg.ConfigOpts) -> Any:
    """A barbicanclient on the [keystone_authtoken] service user's session ([barbican_client])."""
    from barbicanclient import client as barbican

    options = conf.barbican_client
    return barbican.Client(
        session=keystone_authtoken.service_session(conf),
        region_name=options.region_name,
        interface=options.endpoint_type.removesuffix("URL"),
        endpoint=options.endpoint or None,
    )


def build_runtime(conf: cfg.ConfigOpts, db: Database | None = None) -> Runtime:
    """Build a Runtime from configuration."""
    database = db or Database(database_url(conf), pool_size=conf.database.pool_size)
    return Runtime(
        conf=conf,
        db=database,
        policy=PolicyEnforcer(conf),
        drivers=DriverRegistry(
            conf.drivers.enabled_definitions,
            conf.drivers.disabled_drivers,
            conf.drivers.default_driver,
            conf,
        ),
        images=ImageCatalog(conf.images.catalog_file),
        certs=build_cert_store(conf, database),
        notifier=Notifier(conf),
        volume_drivers=build_volume_drivers(conf),
        openstack=build_openstack_checks(conf),
    )
