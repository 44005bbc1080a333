"""`k8s_fedora_atomic`: Kubernetes on Fedora Atomic, built by Heat."""

from __future__ import annotations

from typing import ClassVar

from dockyard.drivers.base import Provides
from dockyard.drivers.heat import layouts
from dockyard.drivers.heat.kubernetes import KubernetesHeatDriver


class K8sFedoraAtomicDriver(KubernetesHeatDriver):
    """Kubernetes on Fedora Atomic (server type vm, image os_distro `fedora-atomic`)."""

    provides: ClassVar[tuple[Provides, ...]] = (Provides("vm", "fedora-atomic", "kubernetes"),)
    layout = layouts.K8S_FEDORA_ATOMIC
