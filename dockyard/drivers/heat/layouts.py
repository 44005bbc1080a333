"""The Heat drivers, declared: one `DriverLayout` each (its folder, its two configuration
wrappers, its API endpoint and versions). The wrappers are generated from this data
(`template_def.ConfigFragment`), so a new Heat driver is an entry here, its scripts under
`dockyard/drivers/<folder>/templates/fragments/` and a three-line driver class."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.heat.template_def import (
    ApiEndpoint,
    ConfigFragment,
    DriverLayout,
    kubernetes_version,
)

DRIVERS = Path(__file__).resolve().parents[1]
#: Settings every Swarm and Mesos script gets (keys of cluster.yaml's settings maps).
COMMON_SETTINGS = (
    "coe_version",
    "master_address",
    "etcd_server",
    "api_port",
    "tls_disabled",
    "docker_storage_driver",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
#: What a node of a nodegroup knows of its group (cluster.yaml's and nodegroup.yaml's maps).
NODE_SETTINGS = ("nodegroup", "node_labels")
MESOS_SETTINGS = (
    "mesos_slave_isolation",
    "mesos_slave_image_providers",
    "mesos_slave_work_dir",
    "mesos_slave_executor_env_variables",
)
KUBERNETES_SCRIPT = "dockyard/fragments/scripts/kubernetes-node.sh"
KUBERNETES_SETTINGS = ("kube_tag", "http_proxy", "https_proxy", "no_proxy")
_KUBE_BUNDLE = (
    "from the server's bundle (Dockyard's one definition of a Kubernetes node), by "
    "kubernetes-node.sh, which signals the server's wait condition once the node is Ready"
)


def _kubernetes(folder: str, distro: str) -> DriverLayout:
    return DriverLayout(
        folder=folder,
        templates=DRIVERS / folder / "templates",
        api=ApiEndpoint("https", 6443, "http", 8080),
        coe_version=kubernetes_version,
        master=ConfigFragment(
            f"etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and "
            f"kube-proxy on {distro}, {_KUBE_BUNDLE}",
            KUBERNETES_SCRIPT,
            KUBERNETES_SETTINGS,
            {"role": "master"},
        ),
        node=ConfigFragment(
            f"kubelet and kube-proxy on {distro}, {_KUBE_BUNDLE}",
            KUBERNETES_SCRIPT,
            KUBERNETES_SETTINGS,
            {"role": "node"},
        ),
    )


def _version(value: str) -> Callable[[ClusterSpec], str]:
    """A COE version that does not depend on the cluster (Swarm, Mesos)."""
    return lambda spec: value


K8S_FEDORA_ATOMIC = _kubernetes("k8s_fedora_atomic", "Fedora Atomic")
K8S_COREOS = _kubernetes("k8s_coreos", "CoreOS")
SWARM_FEDORA_ATOMIC = DriverLayout(
    folder="swarm_fedora_atomic",
    templates=DRIVERS / "swarm_fedora_atomic" / "templates",
    api=ApiEndpoint("tcp", 2376, "tcp", 2375),
    coe_version=_version("1.2.5"),
    master=ConfigFragment(
        "etcd, the Swarm manager (--strategy from swarm_strategy) and a TLS Docker API on 2376",
        "swarm_fedora_atomic/fragments/configure-swarm-master.sh",
        (*COMMON_SETTINGS, "swarm_strategy"),
    ),
    node=ConfigFragment(
        "the Swarm agent joining the manager's discovery, its engine labelled with its "
        "nodegroup's node labels",
        "swarm_fedora_atomic/fragments/configure-swarm-node.sh",
        (*COMMON_SETTINGS, "swarm_strategy", *NODE_SETTINGS),
    ),
)
MESOS_UBUNTU = DriverLayout(
    folder="mesos_ubuntu",
    templates=DRIVERS / "mesos_ubuntu" / "templates",
    api=ApiEndpoint("http", 8080, "http", 8080),
    coe_version=_version("1.0.0"),
    master=ConfigFragment(
        "ZooKeeper, mesos-master and Marathon on 8080",
        "mesos_ubuntu/fragments/configure-mesos-master.sh",
        (*COMMON_SETTINGS, *MESOS_SETTINGS),
    ),
    node=ConfigFragment(
        "mesos-slave with the isolation, image providers, work dir and executor environment "
        "from the labels, and its nodegroup's node labels as agent attributes",
        "mesos_ubuntu/fragments/configure-mesos-slave.sh",
        (*COMMON_SETTINGS, *MESOS_SETTINGS, *NODE_SETTINGS),
    ),
)
#: Every Heat driver's layout by its folder (entry-point name).
LAYOUTS = {
    layout.folder: layout
    for layout in (K8S_FEDORA_ATOMIC, K8S_COREOS, SWARM_FEDORA_ATOMIC, MESOS_UBUNTU)
}
