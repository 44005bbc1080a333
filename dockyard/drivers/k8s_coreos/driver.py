"""`k8s_coreos`: Kubernetes on CoreOS, built by Heat."""

from __future__ import annotations

from typing import ClassVar

from dockyard.drivers.base import Provides
from dockyard.drivers.heat import layouts
from dockyard.drivers.heat.kubernetes import KubernetesHeatDriver


class K8sCoreosDriver(KubernetesHeatDriver):
    """Kubernetes on CoreOS (server type vm, image os_distro `coreos`)."""

    provides: ClassVar[tuple[Provides, ...]] = (Provides("vm", "coreos", "kubernetes"),)
    layout = layouts.K8S_COREOS
