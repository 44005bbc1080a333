"""New node certificates, and the dockerd restarts that make the nodes serve them.

`rotate_ca` re-issues them from a new CA; `renew_certificates` from the unchanged CA, so
client certificates keep working. dockerd reads its TLS files only when it starts, so the
nodes then restart from their data-roots (swarm, services and volumes stay), in waves: with
several managers one at a time, each back in the swarm before the next (raft keeps its
quorum), the leader last, then the workers together; with one manager all at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from dockyard.certs.x509 import KeyPair
from dockyard.common import exceptions
from dockyard.drivers.base import ClusterSpec, DriverResult
from dockyard.drivers.swarm_local import results, rolling, tls
from dockyard.drivers.swarm_local.layout import ClusterState, Node
from dockyard.drivers.swarm_local.parts import DriverParts


def rotate_ca(parts: DriverParts, spec: ClusterSpec) -> DriverResult:
    """Re-issue every node's server certificate from the new `spec.ca` and restart the nodes.

    A node that already serves the new CA is left alone, so a call repeated after a crash
    only finishes the job.
    """
    with _tls_cluster(parts, spec, "Rotating the CA") as (state, ca):
        parts.registry.ensure_wanted(state, ca)
        stale = _restart_stale(parts, state, spec, ca)
    return results.complete(
        parts.store,
        state,
        "CA rotated; nodes restarted with certificates of the new CA: " + results.hostnames(stale),
    )


def renew_certificates(
    parts: DriverParts, spec: ClusterSpec, issued_before: dt.datetime
) -> DriverResult:
    """New server certificates from the unchanged `spec.ca` for every node whose certificate
    was issued before `issued_before`, then those nodes restart to serve them.

    A node is marked as serving an old certificate (its recorded CA fingerprint cleared)
    before its certificate is replaced, so a call repeated after a crash restarts it even
    when the new certificate was already written.
    """
    with _tls_cluster(parts, spec, "Renewing the node certificates") as (state, ca):
        due = [n for n in state.live_nodes if _issued_before(parts, state, n, issued_before)]
        for node in due:
            node.ca_fingerprint = None
        parts.store.save(state)
        for node in due:
            certs = parts.store.node_paths(state, node).certs
            tls.renew_node_certs(ca, certs, node.hostname, node.address, spec.node_cert_days)
        stale = _restart_stale(parts, state, spec, ca)
    return results.complete(
        parts.store,
        state,
        "node certificates renewed; nodes restarted to serve them: " + results.hostnames(stale),
    )


@contextlib.contextmanager
def _tls_cluster(
    parts: DriverParts, spec: ClusterSpec, what: str
) -> Iterator[tuple[ClusterState, KeyPair]]:
    """The cluster's state and CA, under the cluster lock, with its network ensured; `what`
    (the call, for the refusal) is refused for a cluster without TLS."""
    if spec.tls_disabled or spec.ca is None:
        raise exceptions.NotSupported(f"{what} of a cluster without TLS")
    with parts.store.cluster_lock(spec.uuid):
        state = parts.store.existing_state(spec.uuid, spec.driver_state)
        if state is None or not state.tls:
            raise exceptions.NotSupported(
                f"{what} of a local cluster that was never created with TLS"
            )
        parts.nodes.ensure_network(state)
        yield state, spec.ca


def _issued_before(parts: DriverParts, state: ClusterState, node: Node, when: dt.datetime) -> bool:
    info = tls.node_certificate(parts.store.node_paths(state, node).certs, node.hostname)
    return info is None or info.issued_at < when


def _restart_stale(
    parts: DriverParts, state: ClusterState, spec: ClusterSpec, ca: KeyPair
) -> list[Node]:
    """(Re)start, in waves, the live nodes that are down or serve another CA than `ca`, and
    wait for the whole swarm; returns the nodes restarted."""
    live = state.live_nodes
    current = tls.ca_fingerprint(ca)
    stale = [n for n in live if n.ca_fingerprint != current or not parts.nodes.running(n)]
    waves = [stale]
    if len(state.managers) > 1:  # one manager at a time, the leader last; workers together
        waves = rolling.batches(stale, max(1, len(stale)), parts.swarm.leaders(state))
    for wave in (w for w in waves if w):
        parts.nodes.ensure_running(state, wave, ca, spec.node_cert_days)
        parts.swarm.wait_ready(state, wave)
    parts.swarm.wait_ready(state, live)
    parts.store.save(state)
    return stale
