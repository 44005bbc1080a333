"""Certificates API rules: show a cluster CA, sign a user's CSR, queue a CA rotation or a
renewal of the node certificates, list certificate expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dockyard.certs import x509
from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Cluster, ClusterCertificate, utcnow
from dockyard.db.repositories import cluster_certificates as cert_repo
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.db.repositories import templates as template_repo
from dockyard.domain.status import OperationKind
from dockyard.drivers.base import ClusterDriver
from dockyard.notifications import clusters as notify
from dockyard.services import cluster_templates, operations
from dockyard.services.runtime import Runtime

# The API's ca_cert_type values -> the cluster column of that CA.
_CA_COLUMNS = {
    "kubernetes": "ca_cert_ref",
    "etcd": "etcd_ca_cert_ref",
    "front_proxy": "front_proxy_ca_cert_ref",
    "front-proxy": "front_proxy_ca_cert_ref",
}


def _cluster(rt: Runtime, ctx: RequestContext, ident: str, rule: str) -> Cluster:
    with rt.db.read() as session:
        cluster = cluster_repo.get(session, ident, None if ctx.is_admin else ctx.project_id)
    rt.policy.authorize(ctx, rule, {"project_id": cluster.project_id, "user_id": cluster.user_id})
    return cluster


def _ca(rt: Runtime, cluster: Cluster, ca_cert_type: str | None) -> x509.KeyPair:
    column = _CA_COLUMNS.get(ca_cert_type or "kubernetes")
    if column is None:
        raise exceptions.Invalid(
            f"Invalid ca_cert_type {ca_cert_type!r}; expecting one of: "
            + ", ".join(sorted(_CA_COLUMNS))
        )
    ref = getattr(cluster, column)
    if not ref:
        raise exceptions.Invalid(
            f"Cluster {cluster.uuid} has no {ca_cert_type or 'kubernetes'} CA certificate "
            f"(status {cluster.status}; TLS-disabled clusters have none, others get theirs "
            "when creation starts)."
        )
    return rt.certs.load(ref)


def get_ca(
    rt: Runtime, ctx: RequestContext, ident: str, ca_cert_type: str | None
) -> tuple[Cluster, str]:
    """The cluster's CA certificate (PEM)."""
    cluster = _cluster(rt, ctx, ident, "certificate:get")
    return cluster, _ca(rt, cluster, ca_cert_type).cert_pem.decode()


def sign(
    rt: Runtime, ctx: RequestContext, ident: str, csr: str, ca_cert_type: str | None
) -> tuple[Cluster, str]:
    """A client certificate for `csr`, signed by the cluster CA (PEM, no trailing newline)."""
    try:
        cluster = _cluster(rt, ctx, ident, "certificate:create")
    except exceptions.ClusterNotFound as exc:
        raise exceptions.Invalid(str(exc)) from None  # Magnum answers 400 here
    ca = _ca(rt, cluster, ca_cert_type)
    pem = x509.sign_csr(ca, csr, int(rt.conf.x509.term_of_validity))
    return cluster, pem.decode().rstrip("\n")


def rotate_ca(rt: Runtime, ctx: RequestContext, ident: str) -> str:
    """Queue a CA rotation; every certificate signed by the old CA stops working."""
    return _start(rt, ctx, ident, OperationKind.ROTATE_CA, {})


def renew(rt: Runtime, ctx: RequestContext, ident: str) -> str:
    """Queue a renewal of the cluster's node certificates (and its admin certificate) from its
    current CA; users' client certificates keep working. Returns the cluster uuid."""
    params = {"issued_before": utcnow().isoformat()}
    return _start(rt, ctx, ident, OperationKind.RENEW_CERTIFICATES, params)


# Operation -> (policy rule, refusal for a non-TLS cluster, what a driver may not support).
_CERTIFICATE_OPERATIONS = {
    OperationKind.ROTATE_CA: (
        "certificate:rotate_ca",
        "Rotating the CA certificate on a non-TLS cluster is not supported",
        "Rotating the CA",
    ),
    OperationKind.RENEW_CERTIFICATES: (
        "certificate:renew",
        "Renewing the node certificates of a non-TLS cluster is not supported",
        "Renewing node certificates",
    ),
}


def _start(
    rt: Runtime,
    ctx: RequestContext,
    ident: str,
    kind: OperationKind,
    params: dict[str, Any],
) -> str:
    rule, no_tls, operation = _CERTIFICATE_OPERATIONS[kind]
    with rt.db.write() as session:
        cluster = cluster_repo.get(session, ident, None if ctx.is_admin else ctx.project_id)
        rt.policy.authorize(
            ctx, rule, {"project_id": cluster.project_id, "user_id": cluster.user_id}
        )
        template = template_repo.get(session, cluster.cluster_template_id, None)
        if template.tls_disabled:
            raise exceptions.NotSupported(no_tls)
        driver = rt.drivers.get(cluster.driver)
        method = kind.value  # the driver method is named after the operation
        if getattr(type(driver), method) is getattr(ClusterDriver, method):
            raise exceptions.NotSupported(operation=f"{operation} with driver {driver.name}")
        refusal = driver.rekey_refusal(cluster_templates.fields(template))
        if refusal:
            raise exceptions.NotSupported(
                f"{operation} is not supported on cluster {cluster.name}: {refusal}."
            )
        operations.start(
            session,
            ctx,
            cluster,
            kind,
            params,
            deadline_minutes=operations.deadline_minutes(rt),
            host=rt.conf.host,
        )
    notify.cluster_event(rt.notifier, kind, "pending", cluster, ctx.user_id)
    rt.wake_conductor()
    return cluster.uuid


def expiry(
    rt: Runtime, ctx: RequestContext, ident: str
) -> tuple[Cluster, list[ClusterCertificate]]:
    """The cluster's certificates (CAs, admin, nodes) and when they expire, first first."""
    cluster = _cluster(rt, ctx, ident, "certificate:get")
    with rt.db.read() as session:
        return cluster, cert_repo.for_cluster(session, cluster.uuid)


def expiring(rt: Runtime, days: int) -> list[tuple[ClusterCertificate, str]]:
    """Every certificate expiring within `days`, with its cluster's name (admin tooling)."""
    before = utcnow() + dt.timedelta(days=days)
    with rt.db.read() as session:
        rows = cert_repo.expiring(session, before)
        names = {
            c.uuid: c.name
            for c in (cluster_repo.get_by_uuid(session, u) for u in {r.cluster_id for r in rows})
            if c is not None
        }
    return [(row, names.get(row.cluster_id, "")) for row in rows]
