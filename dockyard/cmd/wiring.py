"""The composition root: every long-lived object of a process, built once from configuration.

`build_runtime` makes the database, policy enforcer, cluster and volume driver registries,
certificate store, notifier, image catalog and OpenStack lookups, and hands them out as one
`Runtime` (what the services take). The conductor gets the same object through its narrow
`conductor.deps.ConductorDeps` interface, so neither layer builds or looks up a collaborator.
"""

from __future__ import annotations

import os
from typing import Any

from oslo_config import cfg

from dockyard.certs.stores import (
    BarbicanStore,
    CertStore,
    LocalStore,
    X509KeypairStore,
    load_or_create_key,
)
from dockyard.conductor.worker import Conductor
from dockyard.conf import database_url
from dockyard.db.repositories.certificates import DatabaseCertificateRows
from dockyard.db.session import Database
from dockyard.drivers.registry import DriverRegistry
from dockyard.notifications.notifier import Notifier
from dockyard.services import service_user
from dockyard.services.images import ImageCatalog
from dockyard.services.openstack_checks import OpenStackChecks
from dockyard.services.policy import PolicyEnforcer
from dockyard.services.runtime import Runtime
from dockyard.volume_drivers.base import VolumeDriver
from dockyard.volume_drivers.cinder import CinderSettings, CinderVolumeDriver
from dockyard.volume_drivers.local import LocalVolumeDriver
from dockyard.volume_drivers.registry import VolumeDriverRegistry


def build_runtime(conf: cfg.ConfigOpts, db: Database | None = None) -> Runtime:
    """Everything a process's services and conductor use, from `conf` (and `db`, if given)."""
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
        openstack=OpenStackChecks(conf) if conf.openstack.lookups else None,
    )


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
    from dockyard.providers.openstack import barbican

    options = conf.barbican_client
    return barbican.client(
        service_user.session(conf),
        region_name=options.region_name,
        interface=options.endpoint_type.removesuffix("URL"),
        endpoint=options.endpoint or None,
    )


# -- volume drivers (they never read configuration themselves) -------------------------------
def local_root(conf: cfg.ConfigOpts) -> str:
    """`[volume] local_root`, or `<state_path>/volumes`."""
    return os.path.abspath(conf.volume.local_root or os.path.join(conf.state_path, "volumes"))


def _service_auth(conf: cfg.ConfigOpts) -> Any:
    """Dockyard's service user from [keystone_authtoken], in keystone mode; else None."""
    if conf.auth.strategy != "keystone":
        return None
    return service_user.load_auth(conf)


def _auth_url(conf: cfg.ConfigOpts) -> str | None:
    if conf.auth.strategy != "keystone":
        return None
    url: str | None = getattr(conf.keystone_authtoken, "auth_url", None)
    return url or conf.keystone_authtoken.www_authenticate_uri


def cinder_settings(conf: cfg.ConfigOpts) -> CinderSettings:
    """The cinder driver's settings: `[volume]`, and `[keystone_authtoken]` in keystone mode."""
    opts = conf.volume
    use_token = opts.cinder_auth == "token"
    return CinderSettings(
        auth_url=_auth_url(conf),
        use_caller_token=use_token,
        service_auth=None if use_token else _service_auth(conf),
        endpoint=opts.cinder_endpoint,
        region_name=opts.cinder_region_name,
        interface=opts.cinder_interface,
        volume_type=opts.cinder_volume_type,
        availability_zone=opts.cinder_availability_zone,
        timeout=int(opts.cinder_timeout),
        verify=False if opts.cinder_insecure else (opts.cinder_cafile or True),
    )


def build_volume_drivers(conf: cfg.ConfigOpts) -> VolumeDriverRegistry:
    """The enabled volume drivers of `[volume]` (unknown names are ignored: never enabled)."""
    enabled = set(conf.volume.enabled_drivers)
    drivers: dict[str, VolumeDriver] = {}
    if "local" in enabled:
        drivers["local"] = LocalVolumeDriver(local_root(conf))
    if "cinder" in enabled:
        drivers["cinder"] = CinderVolumeDriver(cinder_settings(conf))
    return VolumeDriverRegistry(drivers, conf.volume.default_driver)


def build_conductor(rt: Runtime, binary: str = "dockyard-conductor") -> Conductor:
    """A conductor on `rt`; the requests of this process wake it when they queue work."""
    conductor = Conductor(rt, binary)
    rt.wake_conductor = conductor.wake
    return conductor
