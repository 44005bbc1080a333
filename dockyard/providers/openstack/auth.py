"""Dockyard's service user as a keystoneauth plugin, built here from configuration values.

Callers that own a configuration (drivers/heat/options.py for `[heat]`, services/service_user
for `[keystone_authtoken]`) register the options these functions name and hand back a getter;
keystoneauth's loaders (and so the plugin objects) stay in providers. The options are
oslo.config objects made by keystoneauth itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keystoneauth1 import loading as ks_loading


def common_conf_options() -> list[Any]:
    """`auth_type` and `auth_section`, as oslo.config options."""
    return list(ks_loading.get_auth_common_conf_options())


def plugin_conf_options(auth_type: str) -> list[Any]:
    """The options of keystoneauth plugin `auth_type` (password, v3password, ...)."""
    return list(ks_loading.get_auth_plugin_conf_options(auth_type))


def service_plugin(auth_type: str, value_of: Callable[[str], Any]) -> Any:
    """The plugin `auth_type` with each option's value from `value_of(dest)`; raises
    keystoneauth's errors for a missing required option or an unknown plugin."""
    loader: Any = ks_loading.get_plugin_loader(auth_type)
    return loader.load_from_options_getter(lambda opt: value_of(opt.dest))


def plugin_from_options(
    register: Callable[[list[Any], str], None],
    value_of: Callable[[str, str], Any],
    group: str,
) -> Any:
    """The plugin that option group `group` describes (or the group its `auth_section` names),
    None when it sets no `auth_type`. `register(opts, group)` registers options on the
    caller's configuration, `value_of(group, dest)` reads one; keystoneauth's errors for a
    missing required option or an unknown plugin are raised (as load_auth_from_conf_options)."""
    register(common_conf_options(), group)
    section = value_of(group, "auth_section") or group
    if section != group:
        register(common_conf_options(), section)
    auth_type = value_of(section, "auth_type")
    if not auth_type:
        return None
    register(plugin_conf_options(str(auth_type)), section)
    return service_plugin(str(auth_type), lambda dest: value_of(section, dest))
