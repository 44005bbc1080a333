"""`k8s_coreos`: Kubernetes on CoreOS, built by Heat."""

from __future__ import annotations

from typing import ClassVar

from dockyard.drivers.base import ClusterSpec, Provides
from dockyard.drivers.heat.driver import HeatDriver
from dockyard.drivers.k8s_coreos import template_def


class K8sCoreosDriver(HeatDriver):
    """Kubernetes on CoreOS (server type vm, image os_distro `coreos`)."""

    provides: ClassVar[tuple[Provides, ...]] = (Provides("vm", "coreos", "kubernetes"),)
    folder = template_def.FOLDER
    templates = template_def.TEMPLATES
    api = template_def.API
    container_version = template_def.CONTAINER_VERSION

    @staticmethod
    def coe_version(spec: ClusterSpec) -> str:
        return template_def.coe_version(spec)
