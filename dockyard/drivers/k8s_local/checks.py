"""What the local Kubernetes driver refuses before it touches anything."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.k8s_local.settings import KubeSettings
from dockyard.drivers.swarm_local import checks as swarm_checks
from dockyard.providers.docker_local import volumes

MAX_MASTERS = 3


def host_problems(settings: KubeSettings) -> list[str]:
    """Everything that stops local Kubernetes clusters from running here (empty when none)."""
    return swarm_checks.host_problems(settings.local) + settings.binaries.problems()


def template_problems(template: Mapping[str, Any]) -> list[str]:
    """What a template asks for that local Kubernetes clusters do not have."""
    found: list[str] = []
    if template.get("tls_disabled"):
        found.append(
            "TLS (every component authenticates with certificates from the cluster CA: "
            "create the template without --tls-disabled)"
        )
    if template.get("volume_driver"):
        found.append(f"the volume driver {template.get('volume_driver')} (none is available)")
    if template.get("registry_enabled"):
        found.append("a cluster registry (registry_enabled is not available)")
    return found


def check_create(spec: ClusterSpec) -> None:
    """Refuse a cluster this driver cannot build."""
    if spec.coe != "kubernetes":
        raise exceptions.NotSupported(f"The k8s_local driver builds kubernetes, not {spec.coe}.")
    found = template_problems(spec.template)
    if found:
        raise exceptions.InvalidParameterValue(
            "local Kubernetes clusters cannot have: " + "; ".join(found)
        )
    if spec.master_count not in (1, MAX_MASTERS):
        raise exceptions.InvalidParameterValue(
            f"local Kubernetes clusters have 1 or {MAX_MASTERS} masters, not {spec.master_count}"
        )
    for label in ("flannel_network_cidr", "service_cluster_ip_range"):
        value = spec.labels.get(label)
        if value is None:
            continue
        try:
            net = ipaddress.IPv4Network(value)
        except ValueError as exc:
            raise exceptions.InvalidParameterValue(f"label {label}: {exc}") from None
        if not net.is_private or net.prefixlen > 16:
            raise exceptions.InvalidParameterValue(
                f"label {label}: {net} must be a private IPv4 network of at least /16"
            )
    size = spec.docker_volume_size or spec.template.get("docker_volume_size")
    if size:
        found = volumes.problems()
        if found:
            raise exceptions.NotSupported(
                "docker_volume_size needs loop devices on this host: " + "; ".join(found)
            )
    if spec.ca is None or spec.client is None:
        raise exceptions.InvalidParameterValue("the cluster has no CA or admin certificate")
