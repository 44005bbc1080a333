"""CA rotation and node certificate renewal of local Kubernetes clusters.

Every node's certificates are re-issued and the nodes restarted together (the masters' API
and etcd trust only the new CA from then on, so a kubeconfig of the old CA is refused).
Nodes keep their data: etcd, the kubelet's root and the engine's images stay.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import time

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec, DriverResult
from dockyard.drivers.k8s_local import results
from dockyard.drivers.k8s_local.nodes import KubeNodes, cluster_cas
from dockyard.drivers.k8s_local.provisioning import nodegroup_labels


def rotate_ca(nodes: KubeNodes, spec: ClusterSpec) -> DriverResult:
    """Restart every node with certificates of the cluster's (new) CAs."""
    return _rollout(nodes, spec, None, "node certificates re-issued from the new CA")


def renew_certificates(
    nodes: KubeNodes, spec: ClusterSpec, issued_before: dt.datetime
) -> DriverResult:
    """New certificates from the same CAs for every node; users' certificates keep working."""
    return _rollout(nodes, spec, issued_before, "node certificates renewed")


def _rollout(
    nodes: KubeNodes, spec: ClusterSpec, issued_before: dt.datetime | None, what: str
) -> DriverResult:
    cas = cluster_cas(spec)
    with nodes.store.cluster_lock(spec.uuid):
        state = nodes.load(spec)
        if state is None:
            raise exceptions.NotSupported("Re-keying a local cluster that was never created")
        live = state.live_nodes
        if issued_before is not None:  # same CA: drop the certificates so they are re-issued
            for node in live:
                pki = os.path.join(nodes.paths(state, node).config, "pki")
                for path in glob.glob(os.path.join(pki, "*.crt")):
                    if os.path.basename(path) in ("ca.crt", "etcd-ca.crt", "front-proxy-ca.crt"):
                        continue
                    os.unlink(path)
        restarted_at = time.time()
        nodes.stop(state, live)
        nodes.ensure_network(state)
        nodes.ensure_lb(state)
        nodes.ensure_running(state, live, cas, spec.node_cert_days)
        nodes.wait_ready(state, spec, live, nodegroup_labels(spec), restarted_at)
        nodes.store.save(state)
    return results.complete(nodes, state, f"{what}; {len(live)} node(s) restarted")
