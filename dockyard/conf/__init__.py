"""Configuration: oslo.config option groups, one module per group.

`load_config` builds a fresh `ConfigOpts` (never a module global) that is passed to
`create_app`, the conductor and the commands. No file is needed for the embedded default.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from oslo_config import cfg
from oslo_policy import opts as policy_opts

from dockyard import __version__
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
    args: Sequence[str] = (),
    config_files: Sequence[str] | None = None,
    *,
    description: str | None = None,
    epilog: str | None = None,
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
    conf(
        list(args),
        project="dockyard",
        default_config_files=list(config_files),
        version=__version__,
        description=description,
        epilog=epilog,
    )
    return conf


def check_values(conf: cfg.ConfigOpts) -> None:
    """Read every option once, so a value of the wrong type fails now rather than when it is
    first used: `cfg.ConfigFileValueError` naming `[group] option` and what is wrong."""
    for name in conf:
        try:
            value = conf[name]
        except (cfg.ConfigFileValueError, cfg.ConfigSourceValueError, ValueError) as exc:
            raise _bad_value("DEFAULT", name, exc) from exc
        if not isinstance(value, cfg.ConfigOpts.GroupAttr):
            continue
        for option in value:
            try:
                value[option]
            except (cfg.ConfigFileValueError, cfg.ConfigSourceValueError, ValueError) as exc:
                raise _bad_value(name, option, exc) from exc


def _bad_value(group: str, option: str, exc: Exception) -> cfg.ConfigFileValueError:
    # oslo.config says "Value for option X from LocationInfo(...) is not valid: <reason>".
    reason = str(exc).rsplit("is not valid: ", 1)[-1]
    return cfg.ConfigFileValueError(f"[{group}] {option}: {reason}")


def database_url(conf: cfg.ConfigOpts) -> str:
    """The configured database URL, or the SQLite file under state_path."""
    url: str | None = conf.database.connection
    if url:
        return url
    state_path = os.path.abspath(conf.state_path)
    os.makedirs(state_path, exist_ok=True)
    return f"sqlite:///{os.path.join(state_path, 'dockyard.sqlite')}"
