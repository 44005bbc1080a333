"""Prometheus metrics: request latency (this process) and the work in the database.

Each app has its own registry (no process globals), so tests and several apps in one process
do not mix numbers. With several API processes, scrape each one: request metrics are per
process, the database-derived ones are the same everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dockyard.services.metrics import WorkSnapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _WorkCollector(Collector):
    """Reads a WorkSnapshot at scrape time."""

    def __init__(self, read: Callable[[], WorkSnapshot]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        work = self._read()
        operations = GaugeMetricFamily(
            "dockyard_operations", "Operations by kind and state.", labels=["kind", "state"]
        )
        for (kind, state), count in sorted(work.operations.items()):
            operations.add_metric([kind, state], count)
        yield operations
        failed = GaugeMetricFamily(
            "dockyard_driver_failures", "Operations that ended FAILED, by kind.", labels=["kind"]
        )
        for (kind, state), count in sorted(work.operations.items()):
            if state == "FAILED":
                failed.add_metric([kind], count)
        yield failed
        clusters = GaugeMetricFamily("dockyard_clusters", "Clusters by status.", labels=["status"])
        for status, count in sorted(work.clusters.items()):
            clusters.add_metric([status], count)
        yield clusters
        yield GaugeMetricFamily(
            "dockyard_operation_queue_depth",
            "Operations due now that no conductor runs yet.",
            value=work.queue_depth,
        )
        yield GaugeMetricFamily(
            "dockyard_operation_queue_lag_seconds",
            "How long the oldest due operation has waited for a conductor (status-sync lag).",
            value=work.oldest_due_seconds,
        )
        expiry = GaugeMetricFamily(
            "dockyard_cluster_certificate_expiry_timestamp_seconds",
            "When the cluster's first certificate (CA, admin or node) expires, Unix time.",
            labels=["cluster"],
        )
        for cluster, expires_at in sorted(work.certificate_expiry.items()):
            expiry.add_metric([cluster], expires_at)
        yield expiry


class Metrics:
    """The registry of one app."""

    def __init__(self, read_work: Callable[[], WorkSnapshot]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "dockyard_http_request_duration_seconds",
            "API request latency.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.registry.register(_WorkCollector(read_work))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every HTTP request, labelled by route template (not the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )
