"""[local_kubernetes] options, registered by LocalKubernetesDriver.configure().

The nodes' network, state_dir and dockerd settings are the Swarm driver's `[local_driver]`
group (both drivers share one state_dir and address pool); this group adds what only
Kubernetes needs.
"""

from __future__ import annotations

from typing import Any

from oslo_config import cfg

from dockyard.drivers.k8s_local.settings import KubeSettings
from dockyard.drivers.swarm_local import options as local_options
from dockyard.providers.kube_local.binaries import DEFAULT_BIN_DIR, KubeBinaries

GROUP = "local_kubernetes"
OPTS = [
    cfg.StrOpt(
        "bin_dir",
        default=DEFAULT_BIN_DIR,
        help="Directory of the Kubernetes server binaries built by scripts/build-kubernetes "
        "(kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, kubelet, pause).",
    ),
    cfg.StrOpt(
        "cni_dir", default="/usr/lib/cni", help="CNI plugins (containernetworking-plugins)."
    ),
    cfg.StrOpt("etcd", default="etcd", help="etcd binary (Debian: etcd-server)."),
    cfg.StrOpt("haproxy", default="haproxy", help="haproxy binary (the API load balancer)."),
    cfg.FloatOpt(
        "ready_timeout",
        default=180.0,
        min=10,
        help="Seconds new nodes have to register and report Ready.",
    ),
    cfg.FloatOpt(
        "drain_timeout",
        default=30.0,
        min=0,
        help="Seconds a drained node's pods have to leave before the node is removed anyway.",
    ),
]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]


def register(conf: Any) -> KubeSettings:
    """Register [local_driver] and [local_kubernetes] on `conf` (once) and read them."""
    local = local_options.register(conf)
    conf.register_opts(OPTS, group=GROUP)
    group = conf[GROUP]
    return KubeSettings(
        local=local,
        binaries=KubeBinaries(
            bin_dir=group.bin_dir, cni_dir=group.cni_dir, etcd=group.etcd, haproxy=group.haproxy
        ),
        ready_timeout=group.ready_timeout,
        drain_timeout=group.drain_timeout,
    )
