"""TEST-ONLY fake cluster driver. It builds nothing: it sleeps and reports made-up facts.

It exists so the API, the conductor and the real `openstack coe` client can be exercised end
to end where no cloud runs. It is registered through the `dockyard.drivers` entry-point group
by the dist-info folder beside this package, which the tests put on sys.path/PYTHONPATH; it is
never part of the installed product.

Behaviour is steered by labels (all test-only):
    fake_seconds=<float>       how long each call takes (default 0)
    fake_steps=<n>             report n progress steps through spec.progress, spread over
                               fake_seconds ("fake step i of n", done i of total n)
    fake_fail=<op>[,<op>...]   create|resize|delete|upgrade|renew_certificates|
                               nodegroup_create|nodegroup_update|nodegroup_delete fail
    fake_async=<polls>         answer IN_PROGRESS this many times before completing
    fake_unhealthy=true        health check reports UNHEALTHY
    fake_down=<node>[,<node>]  health check reports these nodes down (for healing); `heal`
                               journals "heal" and completes (the nodes stay "down": the
                               label does not change, so healing starts again and again)
    fake_hang=<op>[,<op>...]   create|resize|delete|... never return (block their thread)
    fake_transient=<n>         the first n calls of each op (per conductor process) raise
                               BackendUnavailable, an HTTP 503 as openstacksdk reports one
    fake_journal=<path>        append "<cluster uuid> <call> <pid>" to <path> on every
                               create/resize/delete/poll/upgrade call (one O_APPEND write, so
                               lines from several processes never interleave)
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard.certs import x509
from dockyard.common.context import RequestContext
from dockyard.domain.certificates import NODE, CertificateInfo
from dockyard.drivers.base import (
    ClusterDriver,
    ClusterFacts,
    ClusterSpec,
    DriverResult,
    Health,
    NodeGroupSpec,
    Outcome,
    Provides,
    StepCounter,
)

_OS_COES = (
    ("fedora-atomic", "kubernetes"),
    ("coreos", "kubernetes"),
    ("fedora-atomic", "swarm"),
    ("fedora-atomic", "swarm-mode"),
    ("ubuntu", "mesos"),
)


def _addresses(spec: ClusterSpec, role: str, count: int) -> list[str]:
    # Loopback addresses (127.0.0.0/8) where nothing listens: a client that follows them
    # (tempest does) gets "connection refused" on this machine; no packet leaves it.
    base = 10 if role == "master" else 100
    return [f"127.51.100.{base + i}" for i in range(count)]


def _node_certificates(spec: ClusterSpec, count: int) -> list[CertificateInfo] | None:
    """Server certificates really issued from the cluster CA for the made-up nodes (kept
    nowhere), as a real driver reports them."""
    if spec.ca is None:
        return None
    names = [f"{spec.name}-node-{i}" for i in range(count)]
    return [
        x509.describe(
            x509.issue(spec.ca, name, server=True, validity_days=spec.node_cert_days).cert_pem,
            NODE,
            name,
        )
        for name in names
    ]


class BackendUnavailable(Exception):
    """TEST-ONLY: what an HTTP client raises for a 503 (openstacksdk's `status_code`)."""

    status_code = 503


# (cluster uuid, op) -> transient errors raised so far, in this process.
_TRANSIENT_RAISED: dict[tuple[str, str], int] = {}
_NEVER = threading.Event()


class FakeDriver(ClusterDriver):
    """TEST-ONLY: see the module docstring."""

    provides = tuple(Provides(st, os_, coe) for st in ("vm", "bm") for os_, coe in _OS_COES)

    def _journal(self, spec: ClusterSpec, call: str) -> None:
        path = spec.labels.get("fake_journal")
        if not path:
            return
        fd = os.open(str(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{spec.uuid} {call} {os.getpid()}\n".encode())
        finally:
            os.close(fd)

    def _pause(self, spec: ClusterSpec) -> None:
        seconds = float(spec.labels.get("fake_seconds", 0) or 0)
        total = int(spec.labels.get("fake_steps", 0) or 0)
        steps = StepCounter(spec.progress, total)
        for i in range(total):
            time.sleep(seconds / total)
            steps.step(f"fake step {i + 1} of {total}")
        if not total:
            time.sleep(seconds)

    def _misbehave(self, spec: ClusterSpec, op: str) -> None:
        if op in str(spec.labels.get("fake_hang", "")).split(","):
            _NEVER.wait()
        wanted = int(spec.labels.get("fake_transient", 0) or 0)
        key = (spec.uuid, op)
        if _TRANSIENT_RAISED.get(key, 0) < wanted:
            _TRANSIENT_RAISED[key] = _TRANSIENT_RAISED.get(key, 0) + 1
            raise BackendUnavailable(f"503 Service Unavailable (fake, {_TRANSIENT_RAISED[key]})")

    def _result(self, spec: ClusterSpec, op: str, masters: int, workers: int) -> DriverResult:
        self._pause(spec)
        self._misbehave(spec, op)
        if op in str(spec.labels.get("fake_fail", "")).split(","):
            return DriverResult(Outcome.FAILED, reason=f"fake driver was told to fail {op}")
        polls_wanted = int(spec.labels.get("fake_async", 0) or 0)
        polls_done = int(spec.driver_state.get("polls", 0))
        if polls_done < polls_wanted:
            return DriverResult(
                Outcome.IN_PROGRESS,
                driver_state={**spec.driver_state, "polls": polls_done + 1, "op": op},
                poll_after=0.2,
            )
        facts = ClusterFacts(
            api_address=None if op == "delete" else "https://127.51.100.10:6443",
            stack_id=f"fake-{spec.uuid[:8]}",
            coe_version="v1.2.0" if spec.coe == "kubernetes" else "1.2.5",
            container_version="1.12.6",
            master_addresses=_addresses(spec, "master", masters),
            node_addresses=_addresses(spec, "worker", workers),
            node_certificates=_node_certificates(spec, masters + workers),
        )
        return DriverResult(Outcome.COMPLETE, facts=facts, driver_state={"polls": 0})

    def create_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        self._journal(spec, "create")
        return self._result(spec, "create", spec.master_count, spec.node_count)

    def resize_cluster(
        self,
        ctx: RequestContext,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: list[str],
    ) -> DriverResult:
        if nodegroup.is_default:
            self._journal(spec, "resize")
            return self._result(spec, "resize", spec.master_count, node_count)
        return self._nodegroup_result(spec, "resize", nodegroup, node_count)

    def delete_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        self._journal(spec, "delete")
        return self._result(spec, "delete", 0, 0)

    def _nodegroup_result(
        self, spec: ClusterSpec, op: str, nodegroup: NodeGroupSpec, count: int
    ) -> DriverResult:
        self._journal(spec, f"{op} {nodegroup.name}")
        default_workers = sum(
            ng.node_count for ng in spec.nodegroups if ng.is_default and ng.role != "master"
        )
        result = self._result(spec, op, spec.master_count, default_workers)
        if result.facts is not None:
            base = 200 + 10 * [n.uuid for n in spec.nodegroups].index(nodegroup.uuid)
            addresses = [f"198.51.100.{base + i}" for i in range(count)]
            result.facts.nodegroup_addresses = {nodegroup.uuid: addresses}
        return result

    def create_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        return self._nodegroup_result(spec, "nodegroup_create", nodegroup, nodegroup.node_count)

    def update_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        return self._nodegroup_result(spec, "nodegroup_update", nodegroup, nodegroup.node_count)

    def delete_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        return self._nodegroup_result(spec, "nodegroup_delete", nodegroup, 0)

    def poll(self, ctx: RequestContext, spec: ClusterSpec, operation: str) -> DriverResult:
        self._journal(spec, "poll")
        op = {"update": "resize", "resize": "resize"}.get(operation, operation)
        workers = spec.node_count
        return self._result(spec, op, spec.master_count, workers)

    def upgrade_cluster(
        self, ctx: RequestContext, spec: ClusterSpec, template: Mapping[str, Any], max_batch: int
    ) -> DriverResult:
        self._journal(spec, "upgrade")
        return self._result(spec, "upgrade", spec.master_count, spec.node_count)

    def rotate_ca(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        return self._result(spec, "rotate_ca", spec.master_count, spec.node_count)

    def renew_certificates(
        self, ctx: RequestContext, spec: ClusterSpec, issued_before: dt.datetime
    ) -> DriverResult:
        self._journal(spec, "renew_certificates")
        return self._result(spec, "renew_certificates", spec.master_count, spec.node_count)

    def check_health(self, ctx: RequestContext, spec: ClusterSpec) -> Health | None:
        if str(spec.labels.get("fake_unhealthy", "")).lower() == "true":
            return Health("UNHEALTHY", {"fake": "told to be unhealthy"})
        down = [n for n in str(spec.labels.get("fake_down", "")).split(",") if n]
        if down:
            names = tuple(f"{spec.name}-node-{i}" for i in range(spec.node_count))
            names += tuple(n for n in down if n not in names)
            reason = {n: "told to be down" if n in down else "Ready" for n in names}
            return Health("UNHEALTHY", reason, names, {n: "told to be down" for n in down})
        return Health("HEALTHY", {})

    def heal(self, ctx: RequestContext, spec: ClusterSpec, nodes: Sequence[str]) -> DriverResult:
        self._journal(spec, "heal")
        result = self._result(spec, "heal", spec.master_count, spec.node_count)
        result.reason = f"fake heal of {', '.join(nodes)}"
        return result
