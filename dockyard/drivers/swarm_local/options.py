"""[local_driver] options, registered by LocalDriver.configure().

This is the one driver module that imports oslo.config (see the import contracts in
pyproject.toml): it turns the group into a plain `LocalSettings` the rest of the driver uses.
The dockerd options it shares with [containers] are declared once, in dockyard.conf.dockerd.
"""

from __future__ import annotations

import os
from typing import Any

from oslo_config import cfg

from dockyard.conf.dockerd import dockerd_opts
from dockyard.drivers.swarm_local.settings import DEFAULT_POOL, LocalSettings

GROUP = "local_driver"
OPTS = [
    cfg.StrOpt(
        "state_dir",
        help="Where cluster state, node data-roots, certificates and logs live. Default: "
        "<state_path>/local_driver.",
    ),
    cfg.StrOpt(
        "run_dir",
        default="/run/dockyard",
        help="Runtime directory for the nodes' exec-roots, sockets and pidfiles (short paths: "
        "unix socket names are limited to 108 bytes).",
    ),
    cfg.StrOpt(
        "address_pool",
        default=DEFAULT_POOL,
        help="Private IPv4 range node addresses come from, one /24 per cluster. The host gets "
        "a blackhole route for the whole range, so it must not be used for anything else on "
        "this machine.",
    ),
    *dockerd_opts("a node's dockerd", "the nodes' base image", shutdown_timeout=5),
    cfg.FloatOpt(
        "drain_timeout",
        default=15.0,
        min=0,
        help="Seconds to wait for a drained node's tasks to move before it is removed.",
    ),
]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]


def register(conf: Any) -> LocalSettings:
    """Register [local_driver] on `conf` (once) and read it."""
    conf.register_opts(OPTS, group=GROUP)
    group = conf[GROUP]
    state_dir = group.state_dir or os.path.join(os.path.abspath(conf.state_path), "local_driver")
    return LocalSettings(
        state_dir=state_dir,
        run_dir=group.run_dir,
        address_pool=group.address_pool,
        dockerd=group.dockerd,
        busybox=group.busybox,
        storage_driver=group.storage_driver,
        start_timeout=group.start_timeout,
        shutdown_timeout=group.shutdown_timeout,
        drain_timeout=group.drain_timeout,
        volume_root=_volume_root(conf),
    )


def _volume_root(conf: Any) -> str | None:
    """[volume] local_root, defaulted as cmd.wiring.local_root does; None when
    the [volume] group is not registered (no volume plugin in this process's config)."""
    try:
        root = conf.volume.local_root
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return None
    return os.path.abspath(root or os.path.join(conf.state_path, "volumes"))
