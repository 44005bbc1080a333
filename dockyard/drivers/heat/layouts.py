"""The Heat drivers, declared: one `DriverLayout` each (its folder, its two configuration
wrappers, its API endpoint and versions). The wrappers are generated from this data
(`template_def.ConfigFragment`), so a new Heat driver is an entry here, its scripts under
`dockyard/drivers/<folder>/templates/fragments/` and a three-line driver class."""

from __future__ import annotations

from pathlib import Path

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


#: A scripted wrapper: (script in the driver's templates/fragments, summary, settings).
Script = tuple[str, str, tuple[str, ...]]


def _scripted(
    folder: str, api: ApiEndpoint, version: str, master: Script, node: Script
) -> DriverLayout:
    """A driver whose wrappers run its own scripts, at a COE version of its own."""

    def fragment(script: Script) -> ConfigFragment:
        name, summary, settings = script
        return ConfigFragment(summary, f"{folder}/fragments/{name}", settings)

    return DriverLayout(
        folder=folder,
        templates=DRIVERS / folder / "templates",
        api=api,
        coe_version=lambda spec: version,
        master=fragment(master),
        node=fragment(node),
    )


K8S_FEDORA_ATOMIC = _kubernetes("k8s_fedora_atomic", "Fedora Atomic")
K8S_COREOS = _kubernetes("k8s_coreos", "CoreOS")
SWARM_FEDORA_ATOMIC = _scripted(
    "swarm_fedora_atomic",
    ApiEndpoint("tcp", 2376, "tcp", 2375),
    "1.2.5",
    (
        "configure-swarm-master.sh",
        "etcd, the Swarm manager (--strategy from swarm_strategy) and a TLS Docker API on 2376",
        (*(k for k in COMMON_SETTINGS if k != "master_address"), "swarm_strategy"),
    ),
    (
        "configure-swarm-node.sh",
        "the Swarm agent joining the manager's discovery, its engine labelled with its "
        "nodegroup's node labels",
        (*COMMON_SETTINGS, *NODE_SETTINGS),
    ),
)
MESOS_UBUNTU = _scripted(
    "mesos_ubuntu",
    ApiEndpoint("http", 8080, "http", 8080),
    "1.0.0",
    ("configure-mesos-master.sh", "ZooKeeper, mesos-master and Marathon on 8080", COMMON_SETTINGS),
    (
        "configure-mesos-slave.sh",
        "mesos-slave with the isolation, image providers, work dir and executor environment "
        "from the labels, and its nodegroup's node labels as agent attributes",
        (*COMMON_SETTINGS, *MESOS_SETTINGS, *NODE_SETTINGS),
    ),
)
#: Every Heat driver's layout by its folder (entry-point name).
LAYOUTS = {
    layout.folder: layout
    for layout in (K8S_FEDORA_ATOMIC, K8S_COREOS, SWARM_FEDORA_ATOMIC, MESOS_UBUNTU)
}
