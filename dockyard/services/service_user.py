"""Dockyard's own Keystone identity, `[keystone_authtoken]`: its auth plugin and session
(made by providers/openstack), for token validation, the Barbican certificate store, the
OpenStack lookups and Cinder. keystoneauth1 is imported on first use only (noauth
processes never import it)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from oslo_config import cfg

from dockyard.conf import keystone_authtoken

if TYPE_CHECKING:
    from dockyard.providers.openstack.identity import TokenLookup


#: The keystoneauth plugin `[keystone_authtoken]` loads when it names none.
DEFAULT_AUTH_TYPE = "password"


def load_auth(conf: cfg.ConfigOpts) -> Any:
    """The service user's auth plugin as `[keystone_authtoken]` describes it (keystoneauth's
    `auth_type`, `auth_section` and the plugin's own options, registered here on first use);
    None when no `auth_type` is set."""
    from dockyard.providers.openstack import auth as keystone_auth

    group = keystone_authtoken.GROUP
    _register(conf, keystone_auth.common_conf_options(), group)
    conf.set_default("auth_type", DEFAULT_AUTH_TYPE, group=group)
    return keystone_auth.plugin_from_options(
        lambda opts, where: _register(conf, opts, where),
        lambda where, dest: conf[where][dest],
        group,
    )


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """keystoneauth's options of `[keystone_authtoken]` for the sample (the password
    plugin's included); the group's own are in dockyard.conf.keystone_authtoken."""
    from dockyard.providers.openstack import auth as keystone_auth

    common = keystone_auth.common_conf_options()
    for opt in common:
        if opt.dest == "auth_type":
            opt.default = DEFAULT_AUTH_TYPE
    plugin = keystone_auth.plugin_conf_options(DEFAULT_AUTH_TYPE)
    return [(keystone_authtoken.GROUP, [*common, *plugin])]


def _register(conf: cfg.ConfigOpts, opts: list[Any], group: str) -> None:
    with contextlib.suppress(cfg.DuplicateOptError):
        conf.register_opts(opts, group=group)


def auth(conf: cfg.ConfigOpts) -> Any:
    """The service user's keystoneauth1 auth plugin. Raises RequiredOptError when no
    credentials are set."""
    plugin = load_auth(conf)
    if plugin is None:
        raise cfg.RequiredOptError("auth_type", cfg.OptGroup(keystone_authtoken.GROUP))
    return plugin


def session(conf: cfg.ConfigOpts) -> Any:
    """A keystoneauth1 session authenticated as the service user, with the group's TLS
    settings and connect timeout."""
    from dockyard.providers.openstack import keystone

    group = conf[keystone_authtoken.GROUP]
    verify: bool | str = False if group.insecure else (group.cafile or True)
    cert: str | tuple[str, str] | None = group.certfile
    if group.certfile and group.keyfile:
        cert = (group.certfile, group.keyfile)
    return keystone.session(
        auth(conf), verify=verify, cert=cert, timeout=group.http_connect_timeout
    )


def token_lookup(conf: cfg.ConfigOpts) -> TokenLookup:
    """Token validation on the service user's session (`[keystone_authtoken] interface`,
    `region_name`, `http_request_max_retries`)."""
    from dockyard.providers.openstack.identity import TokenLookup

    group = conf[keystone_authtoken.GROUP]
    return TokenLookup(
        session(conf), group.interface, group.region_name, group.http_request_max_retries
    )
