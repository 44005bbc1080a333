"""[heat] options, registered by the Heat drivers' configure().

Like `drivers.swarm_local.options`, this is the one module of the Heat drivers that touches
oslo.config (see the import contracts in pyproject.toml): it turns the group into a plain
`HeatSettings` and reads the service user's credentials, from which
`dockyard.providers.openstack.auth` builds its keystoneauth plugin.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from oslo_config import cfg

from dockyard.providers.openstack import auth

GROUP = "heat"
OPTS = [
    cfg.BoolOpt(
        "periodic_global_stack_list",
        default=False,
        deprecated_group="DEFAULT",
        help="Sync the stacks of in-progress clusters with one global stack list per period "
        "instead of one stack get per cluster. Heat's policy must then let Dockyard's service "
        "user list every project's stacks (`stacks:global_index`, e.g. role:admin), which "
        "any holder of that role can then do too.",
    ),
    cfg.FloatOpt(
        "periodic_sync_interval",
        default=10.0,
        min=0.1,
        help="Seconds between two status syncs of the stacks of in-progress clusters.",
    ),
    cfg.FloatOpt(
        "operation_poll_interval",
        default=120.0,
        min=0.1,
        help="Seconds after which an operation polls its own stack when the periodic sync "
        "has not reported it settled (a safety net; the sync normally wakes it first).",
    ),
    cfg.StrOpt("region_name", help="Region of the orchestration endpoint (empty: any)."),
    cfg.StrOpt(
        "endpoint_type",
        default="public",
        choices=["public", "internal", "admin"],
        help="Interface of the OpenStack endpoints Dockyard calls.",
    ),
    cfg.StrOpt("ca_file", help="CA bundle OpenStack's HTTPS certificates are checked against."),
    cfg.BoolOpt("insecure", default=False, help="Do not verify HTTPS certificates."),
    cfg.StrOpt(
        "cluster_auth_url",
        help="Keystone URL written into clusters (cinder, rexray and the cloud provider use "
        "it). Empty: the service user's auth_url.",
    ),
    cfg.ListOpt(
        "environment_files",
        default=[],
        help="Extra Heat environment files merged last into every cluster stack's "
        "environment; provider templates they name by relative path are read from the file's "
        "folder. For site-specific resource mappings (the tests use it for their stand-ins).",
    ),
]
# Where the service user's credentials come from when [heat] has no auth_type of its own.
FALLBACK_AUTH_GROUP = "keystone_authtoken"


@dataclass(frozen=True, slots=True)
class HeatSettings:
    periodic_global_stack_list: bool = False
    periodic_sync_interval: float = 10.0
    operation_poll_interval: float = 120.0
    region_name: str | None = None
    interface: str = "public"
    verify: bool | str = True
    auth_url: str | None = None
    cluster_auth_url: str = ""
    #: The service user's keystoneauth plugin (None: no credentials configured).
    service_auth: Any = None
    #: Extra environment files: (resource_registry, files) merged into every stack.
    environments: tuple[tuple[dict[str, Any], dict[str, str]], ...] = field(default=())


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]


def _service_auth(conf: Any) -> tuple[Any, str | None]:
    """The service user's plugin and auth_url: from [heat] when it sets auth_type (or
    auth_section), else from [keystone_authtoken]; (None, None) when neither has usable
    credentials. The plugin is built by `dockyard.providers.openstack.auth`."""
    for group in (GROUP, FALLBACK_AUTH_GROUP):
        try:
            plugin = auth.plugin_from_options(
                lambda opts, where: _register(conf, opts, where),
                lambda where, dest: conf[where][dest],
                group,
            )
        except Exception:  # keystoneauth's: a missing required option, an unknown plugin
            plugin = None
        if plugin is not None:
            return plugin, getattr(plugin, "auth_url", None)
    return None, None


def _register(conf: Any, opts: list[Any], group: str) -> None:
    with contextlib.suppress(cfg.DuplicateOptError):
        conf.register_opts(opts, group=group)


def _environment(path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """An environment file's registry, with the provider templates it names read in."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        env: dict[str, Any] = yaml.safe_load(handle) or {}
    folder = os.path.dirname(os.path.abspath(path))
    files: dict[str, str] = {}
    for target in (env.get("resource_registry") or {}).values():
        if isinstance(target, str) and target.endswith((".yaml", ".template")):
            with open(os.path.join(folder, target), encoding="utf-8") as handle:
                files[target] = handle.read()
    return env, files


def register(conf: Any) -> HeatSettings:
    """Register [heat] on `conf` (once) and read it."""
    with contextlib.suppress(cfg.DuplicateOptError):
        conf.register_opts(OPTS, group=GROUP)
    group = conf[GROUP]
    plugin, auth_url = _service_auth(conf)
    verify: bool | str = (group.ca_file or True) if not group.insecure else False
    return HeatSettings(
        periodic_global_stack_list=group.periodic_global_stack_list,
        periodic_sync_interval=group.periodic_sync_interval,
        operation_poll_interval=group.operation_poll_interval,
        region_name=group.region_name,
        interface=group.endpoint_type,
        verify=verify,
        auth_url=auth_url,
        cluster_auth_url=group.cluster_auth_url or auth_url or "",
        service_auth=plugin,
        environments=tuple(_environment(p) for p in group.environment_files),
    )
