"""Cluster certificates on the conductor side: CAs made at create time, rotation, loading
them for drivers, and forgetting them once a cluster is deleted.

Store calls run outside other transactions: the x509keypair store writes through its own.
"""

from __future__ import annotations

import dataclasses

from dockyard.certs import x509
from dockyard.certs.x509 import KeyPair
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.drivers.base import ClusterSpec
from dockyard.services.runtime import Runtime

# Certificate kind -> the cluster column that references it.
REF_COLUMNS = {
    "ca": "ca_cert_ref",
    "etcd_ca": "etcd_ca_cert_ref",
    "front_proxy_ca": "front_proxy_ca_cert_ref",
    "client": "magnum_cert_ref",
}


def ca_kinds(coe: str) -> tuple[str, ...]:
    """Kubernetes clusters also get etcd and front-proxy CAs (as Magnum makes them)."""
    return ("ca", "etcd_ca", "front_proxy_ca") if coe == "kubernetes" else ("ca",)


def _generate(rt: Runtime, cluster_uuid: str, name: str, coe: str) -> dict[str, str]:
    days = int(rt.conf.x509.term_of_validity)
    pairs: dict[str, KeyPair] = {kind: x509.generate_ca(name, days) for kind in ca_kinds(coe)}
    pairs["client"] = x509.issue(
        pairs["ca"], "admin", client=True, organization="system:masters", validity_days=days
    )
    return {kind: rt.certs.save(cluster_uuid, kind, pair) for kind, pair in pairs.items()}


def _refs(rt: Runtime, cluster_uuid: str) -> dict[str, str | None]:
    with rt.db.read() as session:
        cluster = cluster_repo.get_by_uuid(session, cluster_uuid)
        if cluster is None:
            return {}
        return {kind: getattr(cluster, column) for kind, column in REF_COLUMNS.items()}


def _store_refs(rt: Runtime, cluster_uuid: str, refs: dict[str, str]) -> None:
    with rt.db.write() as session:
        cluster = cluster_repo.get_by_uuid(session, cluster_uuid)
        if cluster is not None:
            for kind, ref in refs.items():
                setattr(cluster, REF_COLUMNS[kind], ref)


def ensure(rt: Runtime, spec: ClusterSpec) -> None:
    """Give a TLS cluster its CAs and admin client certificate, once (idempotent)."""
    if spec.tls_disabled:
        return
    current = _refs(rt, spec.uuid)
    if current.get("ca") and current.get("client"):
        return
    _store_refs(rt, spec.uuid, _generate(rt, spec.uuid, spec.name, spec.coe))


def rotate(rt: Runtime, spec: ClusterSpec) -> list[str]:
    """Replace the cluster's CAs and client certificate; returns the old references.

    Every certificate signed by the old CA stops working once the driver has re-keyed the
    nodes; the caller deletes the old references after the driver succeeded.
    """
    old = [ref for ref in _refs(rt, spec.uuid).values() if ref]
    _store_refs(rt, spec.uuid, _generate(rt, spec.uuid, spec.name, spec.coe))
    return old


def attach(rt: Runtime, spec: ClusterSpec) -> ClusterSpec:
    """`spec` with the cluster CA and client certificate loaded (when it has them)."""
    refs = _refs(rt, spec.uuid)
    ca_ref, client_ref = refs.get("ca"), refs.get("client")
    if not ca_ref:
        return spec
    return dataclasses.replace(
        spec,
        ca=rt.certs.load(ca_ref),
        client=rt.certs.load(client_ref) if client_ref else None,
    )


def forget(rt: Runtime, cluster_uuid: str) -> None:
    """Delete a deleted cluster's certificates (no-op while the cluster still exists)."""
    if not _refs(rt, cluster_uuid):
        rt.certs.delete_for_cluster(cluster_uuid)
