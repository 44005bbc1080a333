"""What the local driver refuses before it touches anything: the host, a create, an upgrade."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.swarm_local import engine
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.docker_local import host, registry, volumes

SWARM_COES = ("swarm", "swarm-mode")


class HostProblems:
    """What stops a local driver on this host, from `problems()`; only an empty answer is
    remembered, so a host that was fixed is seen at once and a good one is asked once."""

    def __init__(self, problems: Callable[[], list[str]]) -> None:
        self.problems = problems
        self.ok = False

    def __call__(self) -> list[str]:
        if self.ok:
            return []
        found = self.problems()
        self.ok = not found
        return found


def refuse(what: str, found: list[str]) -> None:
    """NotSupported naming every problem in `found` (none: nothing happens)."""
    if found:
        raise exceptions.NotSupported(f"{what} cannot run on this host: " + "; ".join(found) + ".")


def host_problems(settings: LocalSettings) -> list[str]:
    """Everything that stops local clusters from running on this machine (empty when none)."""
    found = host.problems(settings.dockerd, settings.busybox)
    pool_problem = settings.pool_problem()
    if pool_problem:
        found.append(pool_problem)
    return found


def template_problems(settings: LocalSettings, template: Mapping[str, Any]) -> list[str]:
    """What a template (or a cluster's view of it) asks for that this host lacks."""
    found: list[str] = []
    wanted = template.get("volume_driver")
    if wanted and wanted != "rexray":
        found.append(f"volume driver {wanted} is not available to local clusters")
    elif wanted and not settings.volume_root:
        found.append("volume_driver rexray needs a [volume] local_root for the plugin")
    if template.get("registry_enabled"):
        found.extend(f"registry_enabled: {problem}" for problem in registry.problems())
    if template.get("docker_volume_size"):
        found.extend(
            f"docker_volume_size needs loop devices on this host: {problem}"
            for problem in volumes.problems()
        )
    return found


def check_create(settings: LocalSettings, spec: ClusterSpec) -> None:
    """Refuse a cluster this driver or this host cannot build (the services asked the same
    through `template_problems` before they accepted it; this is the conductor's guard)."""
    if spec.coe not in SWARM_COES:
        raise exceptions.NotSupported(f"The local driver builds swarm clusters, not {spec.coe}.")
    if spec.master_count < 1:
        raise exceptions.InvalidParameterValue("a cluster needs at least one master")
    view = {**spec.template, "docker_volume_size": engine.volume_gib(spec)}
    found = template_problems(settings, view)
    if found:
        raise exceptions.NotSupported("; ".join(found))
    if not spec.tls_disabled and spec.ca is None:
        raise exceptions.InvalidParameterValue("TLS is enabled but the cluster has no CA")


def check_upgrade(settings: LocalSettings, spec: ClusterSpec, template: Mapping[str, Any]) -> None:
    """Refuse what a restart from the data-root cannot change."""
    if template.get("coe") not in SWARM_COES:
        raise exceptions.NotSupported(
            f"Upgrading a local swarm cluster to a {template.get('coe')} template"
        )
    check_volume_driver(settings, template)
    if bool(template.get("tls_disabled")) != spec.tls_disabled:
        raise exceptions.NotSupported(
            "Upgrading to a template that turns TLS on or off (create a new cluster)"
        )
    engine.check_labels(dict(template.get("labels") or {}))


def check_volume_driver(settings: LocalSettings, template: Mapping[str, Any]) -> None:
    """Refuse a volume driver other than rexray, and rexray without a volume root."""
    wanted = template.get("volume_driver")
    if wanted and wanted != "rexray":
        raise exceptions.NotSupported(f"Volume driver {wanted} is not available to local clusters.")
    if wanted and not settings.volume_root:
        raise exceptions.NotSupported(
            "volume_driver rexray: this service has no [volume] local_root for the plugin"
        )
