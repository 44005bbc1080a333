"""Cluster certificates on the conductor side: CAs made at create time, rotation, renewal of
the admin certificate, loading them for drivers, and forgetting them once a cluster is deleted.

Whatever is made here is also recorded in `cluster_certificates` (expiry, subject, serial) in
the transaction that points the cluster at it. Store calls run outside other transactions: the
x509keypair store writes through its own.
"""

from __future__ import annotations

import dataclasses

from dockyard.certs import x509
from dockyard.certs.x509 import KeyPair
from dockyard.conductor.deps import ConductorDeps
from dockyard.db.repositories import cluster_certificates as cert_repo
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.domain.certificates import CLIENT
from dockyard.drivers.base import ClusterSpec

# Certificate kind -> the cluster column that references it.
REF_COLUMNS = {
    "ca": "ca_cert_ref",
    "etcd_ca": "etcd_ca_cert_ref",
    "front_proxy_ca": "front_proxy_ca_cert_ref",
    CLIENT: "magnum_cert_ref",
}


def ca_kinds(coe: str) -> tuple[str, ...]:
    """Kubernetes clusters also get etcd and front-proxy CAs (as Magnum makes them)."""
    return ("ca", "etcd_ca", "front_proxy_ca") if coe == "kubernetes" else ("ca",)


def _admin(rt: ConductorDeps, ca: KeyPair) -> KeyPair:
    days = int(rt.conf.x509.term_of_validity)
    return x509.issue(ca, "admin", client=True, organization="system:masters", validity_days=days)


def _generate(rt: ConductorDeps, name: str, coe: str) -> dict[str, KeyPair]:
    days = int(rt.conf.x509.term_of_validity)
    pairs: dict[str, KeyPair] = {kind: x509.generate_ca(name, days) for kind in ca_kinds(coe)}
    pairs[CLIENT] = _admin(rt, pairs["ca"])
    return pairs


def _refs(rt: ConductorDeps, cluster_uuid: str) -> dict[str, str | None]:
    with rt.db.read() as session:
        cluster = cluster_repo.get_by_uuid(session, cluster_uuid)
        if cluster is None:
            return {}
        return {kind: getattr(cluster, column) for kind, column in REF_COLUMNS.items()}


def _save(rt: ConductorDeps, cluster_uuid: str, pairs: dict[str, KeyPair]) -> list[str]:
    """Store `pairs`, point the cluster at them and record their expiry; returns the references
    they replaced (the caller deletes those once the driver is done with them)."""
    refs = {kind: rt.certs.save(cluster_uuid, kind, pair) for kind, pair in pairs.items()}
    replaced: list[str] = []
    with rt.db.write() as session:
        cluster = cluster_repo.get_by_uuid(session, cluster_uuid)
        if cluster is None:
            return replaced
        for kind, ref in refs.items():
            old = getattr(cluster, REF_COLUMNS[kind])
            if old:
                replaced.append(old)
            setattr(cluster, REF_COLUMNS[kind], ref)
        infos = [x509.describe(pair.cert_pem, kind) for kind, pair in pairs.items()]
        cert_repo.replace(session, cluster_uuid, list(pairs), infos)
    return replaced


def ensure(rt: ConductorDeps, spec: ClusterSpec) -> None:
    """Give a TLS cluster its CAs and admin client certificate, once (idempotent)."""
    if spec.tls_disabled:
        return
    current = _refs(rt, spec.uuid)
    if current.get("ca") and current.get(CLIENT):
        return
    _save(rt, spec.uuid, _generate(rt, spec.name, spec.coe))


def rotate(rt: ConductorDeps, spec: ClusterSpec) -> list[str]:
    """Replace the cluster's CAs and client certificate; returns the old references.

    Every certificate signed by the old CA stops working once the driver has re-keyed the
    nodes; the caller deletes the old references after the driver succeeded.
    """
    return _save(rt, spec.uuid, _generate(rt, spec.name, spec.coe))


def renew_client(rt: ConductorDeps, spec: ClusterSpec) -> list[str]:
    """A new admin client certificate from the current CA; returns the old reference. The CAs
    stay, so every certificate they signed keeps working."""
    ca_ref = _refs(rt, spec.uuid).get("ca")
    if not ca_ref:
        return []
    return _save(rt, spec.uuid, {CLIENT: _admin(rt, rt.certs.load(ca_ref))})


def attach(rt: ConductorDeps, spec: ClusterSpec) -> ClusterSpec:
    """`spec` with the cluster CA and client certificate loaded (when it has them), and the
    lifetime of the node certificates the driver issues."""
    spec = dataclasses.replace(spec, node_cert_days=node_cert_days(rt))
    refs = _refs(rt, spec.uuid)
    ca_ref, client_ref = refs.get("ca"), refs.get(CLIENT)
    if not ca_ref:
        return spec
    others = {
        kind: rt.certs.load(ref) for kind, ref in refs.items() if kind not in ("ca", CLIENT) and ref
    }
    return dataclasses.replace(
        spec,
        ca=rt.certs.load(ca_ref),
        client=rt.certs.load(client_ref) if client_ref else None,
        cas=others,
    )


def node_cert_days(rt: ConductorDeps) -> int:
    """[x509] node_term_of_validity, else term_of_validity."""
    x509_opts = rt.conf.x509
    return int(x509_opts.node_term_of_validity or x509_opts.term_of_validity)


def forget(rt: ConductorDeps, cluster_uuid: str) -> None:
    """Delete a deleted cluster's certificates (no-op while the cluster still exists)."""
    if not _refs(rt, cluster_uuid):
        rt.certs.delete_for_cluster(cluster_uuid)
