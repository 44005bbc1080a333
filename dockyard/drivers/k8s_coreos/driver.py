"""`k8s_coreos`: Kubernetes on CoreOS, built by Heat."""

from __future__ import annotations

from typing import ClassVar

from dockyard.drivers.base import Provides
from dockyard.drivers.heat.kubernetes import KubernetesHeatDriver
from dockyard.drivers.k8s_coreos import template_def


class K8sCoreosDriver(KubernetesHeatDriver):
    """Kubernetes on CoreOS (server type vm, image os_distro `coreos`)."""

    provides: ClassVar[tuple[Provides, ...]] = (Provides("vm", "coreos", "kubernetes"),)
    layout = template_def.LAYOUT
