"""TLS bundles for the Heat Swarm and Mesos drivers: the same per-server bundle mechanism as
the Kubernetes drivers (`node_bundle`, ADR 0024), with one certificate per server.

Every master and node gets, in its bundle, the cluster CA and a certificate and key of its
own issued from it (server and client usage: Swarm's manager and engines and Mesos's
libprocess speak mutual TLS), at `TLS_DIR`, with the flags (`--tlsverify`, `DOCKER_FLAGS`)
and environment (`LIBPROCESS_SSL_*`, `LIBPROCESS_ENV`) that point dockerd/Swarm and
libprocess at them; the COE fragments use those. The servers sit at the planned addresses
of `addresses.AddressPlan` (masters from .10, nodes from .20, nodegroups in blocks from
.128), which the certificates name.

A CA rotation is `rekey_by_update`: every bundle is rendered from the new CA and every
server is rebuilt with it, so a client or peer certificate of the old CA is refused by
`--tlsverify` and by libprocess. A template that names its own network gets no bundles (its
servers' addresses are not planned): its servers run as before, and a rotation is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dockyard.certs.x509 import KeyPair, issue
from dockyard.drivers.base import ClusterSpec, NodeGroupSpec
from dockyard.drivers.heat import node_bundle
from dockyard.drivers.heat.addresses import AddressPlan, plan_for, plannable, server_name
from dockyard.drivers.heat.driver import BundleRenderer, RekeyedHeatDriver
from dockyard.drivers.heat.node_bundle import ServerBundle

#: Where a server's TLS files are (the Swarm and Mesos fragments read them there).
TLS_DIR = "/etc/dockyard/tls"
CA_FILE = f"{TLS_DIR}/ca.pem"
CERT_FILE = f"{TLS_DIR}/server.pem"
KEY_FILE = f"{TLS_DIR}/server-key.pem"
#: The same files in the forms the COEs take: dockerd's and Swarm's flags, libprocess's
#: environment (peers must present a certificate of the CA).
DOCKER_FLAGS = f"{TLS_DIR}/docker.flags"
LIBPROCESS_ENV = f"{TLS_DIR}/libprocess.env"
_FLAGS = f"--tlsverify --tlscacert={CA_FILE} --tlscert={CERT_FILE} --tlskey={KEY_FILE}\n"
_LIBPROCESS = "".join(
    f"LIBPROCESS_SSL_{key}={value}\n"
    for key, value in (
        ("ENABLED", "true"),
        ("SUPPORT_DOWNGRADE", "false"),
        ("VERIFY_CERT", "true"),
        ("REQUIRE_CERT", "true"),
        ("CA_FILE", CA_FILE),
        ("CERT_FILE", CERT_FILE),
        ("KEY_FILE", KEY_FILE),
    )
)


def server_bundle(
    ca: KeyPair, name: str, address: str, extra_sans: Sequence[str], days: int
) -> ServerBundle:
    """One server's bundle: the CA, and a certificate for `name` naming its address."""
    sans = [name, address, *extra_sans, "127.0.0.1", "localhost"]
    pair = issue(ca, name, server=True, client=True, sans=sans, validity_days=days)
    files = {
        CA_FILE: (ca.cert_pem, 0o644),
        CERT_FILE: (pair.cert_pem, 0o644),
        KEY_FILE: (pair.key_pem, 0o600),
        DOCKER_FLAGS: (_FLAGS.encode(), 0o644),
        LIBPROCESS_ENV: (_LIBPROCESS.encode(), 0o644),
    }
    return ServerBundle(address, files)


def _api_sans(spec: ClusterSpec, plan: AddressPlan) -> list[str]:
    lb = spec.labels.get("master_lb_enabled", spec.template.get("master_lb_enabled"))
    return [plan.load_balancer] if str(lb).lower() == "true" else []


def bundles(spec: ClusterSpec, stack: str, node_indices: Iterable[int]) -> dict[str, Any]:
    """`master_bundles`, `node_bundles` (default worker group at `node_indices`) and the
    load balancer's planned VIP; none for a cluster without a CA or a plannable network."""
    if spec.ca is None or spec.tls_disabled or not plannable(spec):
        return {}
    plan = plan_for(spec)
    days, ca = spec.node_cert_days, spec.ca
    api = _api_sans(spec, plan)
    masters = {
        i: server_bundle(ca, server_name(stack, "master", i), plan.master(i), api, days)
        for i in range(spec.master_count)
    }
    nodes = {
        i: server_bundle(ca, server_name(stack, "node", i), plan.node(i), (), days)
        for i in node_indices
    }
    return {
        node_bundle.MASTER_BUNDLES: node_bundle.parameter(masters),
        node_bundle.NODE_BUNDLES: node_bundle.parameter(nodes),
        "lb_vip_address": plan.load_balancer,
    }


def group_bundles(
    spec: ClusterSpec, stack: str, slot: int, group: NodeGroupSpec, indices: Iterable[int]
) -> dict[str, Any]:
    """The bundles of nodegroup `group`'s servers at `indices` (none without a plan)."""
    if spec.ca is None or spec.tls_disabled or not plannable(spec):
        return {}
    plan = plan_for(spec)
    ca, days = spec.ca, spec.node_cert_days
    return node_bundle.parameter(
        {
            i: server_bundle(
                ca, server_name(stack, f"{group.name}-node", i), plan.group_node(slot, i), (), days
            )
            for i in indices
        }
    )


class TlsHeatDriver(RekeyedHeatDriver):
    """A Heat driver whose servers get a TLS bundle each (Swarm, Mesos)."""

    renderer = BundleRenderer(bundles, group_bundles)
