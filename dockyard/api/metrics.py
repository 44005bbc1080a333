"""Prometheus metrics: request latency and the work in the database.

Each app has its own registry (no process globals), so tests and several apps in one process
do not mix numbers. The database-derived metrics (operations, their durations, clusters,
health, certificate expiry) are read at scrape time, the same in every API process.

Request latency is counted per process. With `dockyard-api` and `[api] workers` > 1, the
processes share it through prometheus_client's multiprocess mode: `PROMETHEUS_MULTIPROC_DIR`
is set before the workers start (cmd/server.py), each worker writes its counts there, and a
scrape of any worker sums every worker's (ADR 0034).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dockyard.services.metrics import DURATION_BUCKETS, DurationHistogram, WorkSnapshot

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _duration_family(
    histograms: dict[tuple[str, str], DurationHistogram],
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "dockyard_operation_duration_seconds",
        "How long finished operations ran (started to finished), by kind and end state.",
        labels=["kind", "state"],
    )
    bounds = [str(b) for b in DURATION_BUCKETS] + ["+Inf"]
    for (kind, state), hist in sorted(histograms.items()):
        family.add_metric([kind, state], list(zip(bounds, hist.buckets, strict=True)), hist.total)
    return family


class _WorkCollector(Collector):
    """Reads a WorkSnapshot (and the operation durations) at scrape time."""

    def __init__(
        self,
        read: Callable[[], WorkSnapshot],
        durations: Callable[[], dict[tuple[str, str], DurationHistogram]] | None = None,
    ) -> None:
        self._read = read
        self._durations = durations

    def collect(self) -> Iterator[Metric]:
        work = self._read()
        if self._durations is not None:
            yield _duration_family(self._durations())
        health = GaugeMetricFamily(
            "dockyard_cluster_health",
            "1 for each cluster, labelled with its health status (HEALTHY, UNHEALTHY, UNKNOWN).",
            labels=["cluster", "health"],
        )
        by_health: dict[str, int] = {}
        for cluster, status in sorted(work.health.items()):
            health.add_metric([cluster, status], 1)
            by_health[status] = by_health.get(status, 0) + 1
        yield health
        counts = GaugeMetricFamily(
            "dockyard_clusters_by_health", "Clusters by health status.", labels=["health"]
        )
        for status, count in sorted(by_health.items()):
            counts.add_metric([status], count)
        yield counts
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
    """The registry of one app; in multiprocess mode, request latency summed over workers."""

    def __init__(
        self,
        read_work: Callable[[], WorkSnapshot],
        read_durations: Callable[[], dict[tuple[str, str], DurationHistogram]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        # Multiprocess: the histogram writes to this worker's files, and the scrape reads
        # every worker's through MultiProcessCollector instead of this process's registry.
        self.requests = Histogram(
            "dockyard_http_request_duration_seconds",
            "API request latency.",
            ["method", "route", "status"],
            registry=None if self.multiprocess else self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        if self.multiprocess:
            multiprocess.MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        self.registry.register(_WorkCollector(read_work, read_durations))

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
