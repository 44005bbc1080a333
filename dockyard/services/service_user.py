"""Dockyard's own Keystone identity, `[keystone_authtoken]`: its auth plugin and session
(made by providers/openstack), for token validation, the Barbican certificate store, the
OpenStack lookups and Cinder. keystoneauth1 is imported on first use only (noauth
processes never import it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oslo_config import cfg

from dockyard.conf import keystone_authtoken

if TYPE_CHECKING:
    from dockyard.providers.openstack.identity import TokenLookup


def auth(conf: cfg.ConfigOpts) -> Any:
    """The service user's keystoneauth1 auth plugin. Raises RequiredOptError when no
    credentials are set."""
    plugin = keystone_authtoken.load_auth(conf)
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
