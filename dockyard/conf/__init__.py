"""Configuration: oslo.config option groups, one module per group.

`load_config` builds a fresh `ConfigOpts` (never a module global) that is passed to
`create_app`, the conductor and the commands. No file is needed for the embedded default.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from oslo_config import cfg
from oslo_policy import opts as policy_opts

from dockyard.conf import (
    api,
    auth,
    certificates,
    conductor,
    containers,
    database,
    default,
    drivers,
    images,
    keystone_authtoken,
    notifications,
    openstack,
    quotas,
    volume,
)

_GROUP_MODULES = (
    default,
    api,
    database,
    conductor,
    drivers,
    certificates,
    quotas,
    auth,
    keystone_authtoken,
    images,
    openstack,
    notifications,
    containers,
    volume,
)


def register_all(conf: cfg.ConfigOpts) -> None:
    """Register every Dockyard option group (and oslo.policy's) on `conf`."""
    for module in _GROUP_MODULES:
        module.register(conf)
    policy_opts.set_defaults(conf, policy_file="policy.yaml")


def load_config(
    args: Sequence[str] = (), config_files: Sequence[str] | None = None
) -> cfg.ConfigOpts:
    """Parse command-line `args` and config files into a new ConfigOpts.

    Without `--config-file`, `$DOCKYARD_CONFIG` or `/etc/dockyard/dockyard.conf` is read when it
    exists; otherwise defaults apply.
    """
    conf = cfg.ConfigOpts()
    register_all(conf)
    if config_files is None:
        config_files = []
        candidate = os.environ.get("DOCKYARD_CONFIG", "/etc/dockyard/dockyard.conf")
        if "--config-file" not in args and os.path.exists(candidate):
            config_files = [candidate]
    conf(list(args), project="dockyard", default_config_files=list(config_files))
    return conf


def database_url(conf: cfg.ConfigOpts) -> str:
    """The configured database URL, or the SQLite file under state_path."""
    url: str | None = conf.database.connection
    if url:
        return url
    state_path = os.path.abspath(conf.state_path)
    os.makedirs(state_path, exist_ok=True)
    return f"sqlite:///{os.path.join(state_path, 'dockyard.sqlite')}"
