"""Which local Swarm cluster a container runs on, and a client on that cluster's API.

A container created with `cluster` runs on a cluster of the caller's project built by the
`local` driver. Dockyard reaches it as a user would (`openstack coe cluster config`): on its
`api_address` (loopback), over TLS with the cluster's admin client certificate from the
certificate store, the key kept in memory only (providers.docker_local.tcp_client).
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Cluster
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.db.repositories import templates as template_repo
from dockyard.domain.status import ClusterStatus
from dockyard.providers.docker_local.tcp_client import ClientTls, tcp_client
from dockyard.services.containers.validation import Mount
from dockyard.services.runtime import Runtime

#: The cluster driver whose clusters take containers (local Swarm).
DRIVER = "local"

#: Cluster statuses a new container may be placed in.
READY = frozenset({ClusterStatus.CREATE_COMPLETE.value, ClusterStatus.UPDATE_COMPLETE.value})
#: Statuses of a cluster whose containers are gone with it.
DELETED = frozenset({ClusterStatus.DELETE_IN_PROGRESS.value, ClusterStatus.DELETE_COMPLETE.value})


class ClusterGone(Exception):
    """The container's cluster was deleted (or is being deleted)."""


def engine_errors() -> tuple[type[Exception], ...]:
    """What a call to a cluster's API raises when it fails: the engine's refusals, and
    connection errors (refused, TLS, timeouts), which the docker SDK does not wrap."""
    import requests.exceptions

    from dockyard.providers.docker_local import sdk

    return (sdk.DockerException, requests.exceptions.RequestException)


@dataclass(frozen=True, slots=True)
class Target:
    """A cluster that containers can run on."""

    uuid: str
    name: str
    api_address: str
    tls: bool
    rexray: bool


def _target(session: Any, cluster: Cluster) -> Target:
    template = template_repo.get(session, cluster.cluster_template_id, None)
    return Target(
        uuid=cluster.uuid,
        name=cluster.name,
        api_address=cluster.api_address or "",
        tls=not template.tls_disabled,
        rexray=template.volume_driver == "rexray",
    )


def resolve(rt: Runtime, ctx: RequestContext, ident: str) -> Target:
    """The caller's project's cluster `ident` (uuid or name), checked: 404 for none (another
    project's included), 400 for one another driver built, 409 for one that is not settled."""
    with rt.db.read() as session:
        cluster = cluster_repo.get(session, ident, ctx.project_id)
        target = _target(session, cluster)
    rt.policy.authorize(
        ctx, "cluster:get", {"project_id": cluster.project_id, "user_id": cluster.user_id}
    )
    if cluster.driver != DRIVER:
        raise exceptions.InvalidParameterValue(
            err=f"Cluster {cluster.name} is built by the {cluster.driver} driver: containers run "
            f"only on clusters of the {DRIVER} driver."
        )
    if cluster.status not in READY:
        raise exceptions.Conflict(
            f"Cluster {cluster.name} cannot take containers while its status is "
            f"{cluster.status} (it must be {' or '.join(sorted(READY))})."
        )
    return target


def _loopback(target: Target) -> str:
    """The cluster's API address, which must be on this machine's loopback."""
    host = urlsplit(target.api_address).hostname or ""
    try:
        on_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        on_loopback = False
    if not on_loopback:
        raise exceptions.Conflict(
            f"Cluster {target.name} has no API address on this machine "
            f"({target.api_address or 'none yet'})."
        )
    return target.api_address


def check_mounts(target: Target, mounts: list[Mount], creates_volume: bool) -> None:
    """400 for what a cluster cannot mount: host directories, and volumes on a cluster
    without Dockyard's volume plugin (a template whose volume_driver is not rexray)."""
    if any(m.type == "bind" for m in mounts):
        raise exceptions.InvalidParameterValue(
            err=f"Host directory mounts are not available on cluster {target.name}: they are "
            "for the container host only."
        )
    if (creates_volume or any(m.type == "volume" for m in mounts)) and not target.rexray:
        raise exceptions.InvalidParameterValue(
            err=f"Cluster {target.name} cannot mount Dockyard volumes: its cluster template's "
            "volume_driver is not rexray."
        )


def _tls(rt: Runtime, cluster: Cluster) -> ClientTls:
    if not (cluster.ca_cert_ref and cluster.magnum_cert_ref):
        raise exceptions.Conflict(f"Cluster {cluster.name} has no admin client certificate yet.")
    ca = rt.certs.load(cluster.ca_cert_ref)
    admin = rt.certs.load(cluster.magnum_cert_ref)
    return ClientTls(ca.cert_pem, admin.cert_pem, admin.key_pem)


@contextlib.contextmanager
def connect(rt: Runtime, cluster_uuid: str, timeout: float = 30) -> Iterator[Any]:
    """A docker SDK client on the cluster's API (nothing is asked yet); ClusterGone when the
    cluster was deleted."""
    with rt.db.read() as session:
        cluster = cluster_repo.get_by_uuid(session, cluster_uuid)
        if cluster is None or cluster.status in DELETED:
            raise ClusterGone(cluster_uuid)
        target = _target(session, cluster)
    tls = _tls(rt, cluster) if target.tls else None
    with tcp_client(_loopback(target), tls, timeout) as api:
        yield api


@contextlib.contextmanager
def answering(rt: Runtime, target: Target) -> Iterator[Any]:
    """`connect`, once the cluster's API answered a ping: 404 when the cluster is gone, 409
    when its API does not answer."""
    with contextlib.ExitStack() as stack:
        try:
            api = stack.enter_context(connect(rt, target.uuid))
            api.ping()
        except ClusterGone:
            raise exceptions.ClusterNotFound(cluster=target.name) from None
        except engine_errors() as exc:
            raise exceptions.Conflict(
                f"Cluster {target.name} does not answer on {target.api_address}: {exc}"
            ) from None
        yield api
