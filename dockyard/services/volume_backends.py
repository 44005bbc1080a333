"""Volume drivers built from `[volume]` (they never read configuration themselves)."""

from __future__ import annotations

import os
from typing import Any

from oslo_config import cfg

from dockyard.volume_drivers.base import VolumeDriver
from dockyard.volume_drivers.cinder import CinderSettings, CinderVolumeDriver
from dockyard.volume_drivers.local import LocalVolumeDriver
from dockyard.volume_drivers.registry import VolumeDriverRegistry


def local_root(conf: cfg.ConfigOpts) -> str:
    """`[volume] local_root`, or `<state_path>/volumes`."""
    return os.path.abspath(conf.volume.local_root or os.path.join(conf.state_path, "volumes"))


def _service_auth(conf: cfg.ConfigOpts) -> Any:
    """Dockyard's service user from [keystone_authtoken], in keystone mode; else None."""
    if conf.auth.strategy != "keystone":
        return None
    from keystoneauth1 import loading as ks_loading

    from dockyard.conf import keystone_authtoken

    keystone_authtoken.register_auth(conf)
    return ks_loading.load_auth_from_conf_options(conf, keystone_authtoken.GROUP)


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


def build(conf: cfg.ConfigOpts) -> VolumeDriverRegistry:
    """The enabled volume drivers of `[volume]` (unknown names are ignored: never enabled)."""
    enabled = set(conf.volume.enabled_drivers)
    drivers: dict[str, VolumeDriver] = {}
    if "local" in enabled:
        drivers["local"] = LocalVolumeDriver(local_root(conf))
    if "cinder" in enabled:
        drivers["cinder"] = CinderVolumeDriver(cinder_settings(conf))
    return VolumeDriverRegistry(drivers, conf.volume.default_driver)
