"""The Kubernetes API calls the local driver makes, with the cluster's admin certificate.

A thin client over `requests` (already a dependency of the docker SDK): the driver needs a
handful of calls (nodes, their readiness, labels, cordon, evictions, delete) and nothing of
a generated client's weight. Every call goes to the cluster's loopback endpoint.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests

#: Pods that belong to the node itself rather than to a workload.
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


class KubeApiError(RuntimeError):
    """The API refused a call or did not answer."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """PEM files: the cluster CA, and a client certificate and key."""

    ca: str
    cert: str
    key: str


class KubeApi:
    """Calls to one cluster's API server."""

    def __init__(self, server: str, creds: Credentials, timeout: float = 10.0) -> None:
        self.server = server.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or CA bundle from the environment
        self.session.verify = creds.ca
        self.session.cert = (creds.cert, creds.key)

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(
                method, self.server + path, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise KubeApiError(f"{method} {path}: {exc}") from exc
        if response.status_code >= 400:
            raise KubeApiError(
                f"{method} {path}: HTTP {response.status_code} {response.text[:300]}"
            )
        return response.json() if response.content else None

    # -- reading ---------------------------------------------------------------------------
    def healthy(self) -> str | None:
        """None when /readyz answers ok, else why not."""
        try:
            response = self.session.get(self.server + "/readyz", timeout=self.timeout)
        except requests.RequestException as exc:
            return f"the API does not answer: {exc.__class__.__name__}"
        if response.status_code != 200:
            return f"/readyz answered {response.status_code}: {response.text[:200]}"
        return None

    def nodes(self) -> dict[str, dict[str, Any]]:
        """Every registered node by name."""
        items = self._call("GET", "/api/v1/nodes")["items"]
        return {item["metadata"]["name"]: item for item in items}

    def pods_on(self, node: str, *, terminating: bool = True) -> list[str]:
        """`namespace/name` of the workload pods running or pending on `node`; without
        `terminating`, not those already being deleted (their controllers have replaced
        them)."""
        pods = self._call("GET", "/api/v1/pods", params={"fieldSelector": f"spec.nodeName={node}"})[
            "items"
        ]
        return [
            f"{p['metadata']['namespace']}/{p['metadata']['name']}"
            for p in pods
            if p.get("status", {}).get("phase") in ("Pending", "Running")
            and MIRROR_ANNOTATION not in (p["metadata"].get("annotations") or {})
            and not _is_daemonset_pod(p)
            and (terminating or not p["metadata"].get("deletionTimestamp"))
        ]

    # -- writing ---------------------------------------------------------------------------
    def label(self, node: str, labels: Mapping[str, str]) -> None:
        self._call(
            "PATCH",
            f"/api/v1/nodes/{node}",
            json={"metadata": {"labels": dict(labels)}},
            headers={"Content-Type": "application/merge-patch+json"},
        )

    def unlabel(self, node: str, keys: list[str]) -> None:
        """Remove the labels `keys` from `node`."""
        if keys:
            self._call(
                "PATCH",
                f"/api/v1/nodes/{node}",
                json={"metadata": {"labels": dict.fromkeys(keys)}},
                headers={"Content-Type": "application/merge-patch+json"},
            )

    def set_taints(self, node: str, taints: list[dict[str, str]]) -> None:
        """Make `node`'s taints exactly `taints`."""
        self._call(
            "PATCH",
            f"/api/v1/nodes/{node}",
            json={"spec": {"taints": taints or None}},
            headers={"Content-Type": "application/merge-patch+json"},
        )

    def cordon(self, node: str) -> None:
        self._call(
            "PATCH",
            f"/api/v1/nodes/{node}",
            json={"spec": {"unschedulable": True}},
            headers={"Content-Type": "application/merge-patch+json"},
        )

    def evict(self, pod: str) -> None:
        """Ask for `namespace/name` to be evicted (honours PodDisruptionBudgets)."""
        namespace, name = pod.split("/", 1)
        body = {
            "apiVersion": "policy/v1beta1",
            "kind": "Eviction",
            "metadata": {"name": name, "namespace": namespace},
        }
        try:
            self._call("POST", f"/api/v1/namespaces/{namespace}/pods/{name}/eviction", json=body)
        except KubeApiError as exc:
            if "HTTP 404" not in str(exc):  # gone already
                raise

    def delete_node(self, node: str) -> None:
        try:
            self._call("DELETE", f"/api/v1/nodes/{node}")
        except KubeApiError as exc:
            if "HTTP 404" not in str(exc):
                raise


def _is_daemonset_pod(pod: Mapping[str, Any]) -> bool:
    owners = pod["metadata"].get("ownerReferences") or []
    return any(o.get("kind") == "DaemonSet" for o in owners)


def node_ready(node: Mapping[str, Any], since: float | None = None) -> str | None:
    """None when the node's Ready condition is True (and, with `since`, was reported by a
    kubelet heartbeat at or after that time.time()), else what its conditions say."""
    for condition in node.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            if condition.get("status") == "True":
                if since is not None and _timestamp(condition.get("lastHeartbeatTime")) < since:
                    return "not Ready since its restart yet"
                return None
            return f"not Ready: {condition.get('reason')}: {condition.get('message')}"
    return "not Ready: no status reported yet"


@contextmanager
def connect(server: str, creds: Credentials, timeout: float = 10.0) -> Iterator[KubeApi]:
    api = KubeApi(server, creds, timeout)
    try:
        yield api
    finally:
        api.close()


def _timestamp(value: object) -> float:
    """An API timestamp ("2026-12-06T14:20:00Z") as time.time(); 0 when absent."""
    if not isinstance(value, str):
        return 0.0
    parsed = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    return parsed.replace(tzinfo=dt.UTC).timestamp()


def wait_nodes_ready(
    api: KubeApi,
    names: list[str],
    timeout: float,
    since: float | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Wait until every node in `names` is registered and Ready (reported at or after
    `since`, API timestamps having whole seconds); KubeApiError on timeout. `on_ready` is
    called once for each node as it becomes Ready."""
    deadline = time.monotonic() + timeout
    problems: dict[str, str] = {}
    seen: set[str] = set()
    while True:
        try:
            listed = api.nodes()
            problems = {}
            for name in names:
                node = listed.get(name)
                problem = "not registered" if node is None else node_ready(node, since)
                if problem:
                    problems[name] = problem
                elif name not in seen:
                    seen.add(name)
                    if on_ready is not None:
                        on_ready(name)
        except KubeApiError as exc:
            problems = {"api": str(exc)}
        if not problems:
            return
        if time.monotonic() > deadline:
            detail = "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
            raise KubeApiError(f"nodes not Ready within {timeout:.0f}s: {detail}")
        time.sleep(0.5)
