"""GET /metrics: Prometheus text that parses, with operation counts that match the database."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import httpx
from conftest import LATEST, Api, start_server
from harness.waiting import wait_until
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from dockyard.db.models import Operation


def _families(api: Api) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        family.name: [(sample.labels, sample.value) for sample in family.samples]
        for family in text_string_to_metric_families(response.text)
    }


def test_metrics_match_the_database(api: Api) -> None:
    api.template(name="k8s")
    ok = api.post("/v1/clusters", {"cluster_template_id": "k8s"}).json()["uuid"]
    bad = api.post(
        "/v1/clusters", {"cluster_template_id": "k8s", "labels": {"fake_fail": "create"}}
    ).json()["uuid"]
    api.wait_status(ok, "CREATE_COMPLETE")
    api.wait_status(bad, "CREATE_FAILED")
    api.get("/v1/clusters/nope")
    families = _families(api)
    with api.runtime.db.read() as session:
        expected = {
            (kind, state): count
            for kind, state, count in session.execute(
                select(Operation.kind, Operation.state, func.count()).group_by(
                    Operation.kind, Operation.state
                )
            )
        }
    reported = {
        (labels["kind"], labels["state"]): value
        for labels, value in families["dockyard_operations"]
    }
    assert reported == expected == {("create", "COMPLETE"): 1, ("create", "FAILED"): 1}
    assert families["dockyard_driver_failures"] == [({"kind": "create"}, 1.0)]
    clusters = {labels["status"]: value for labels, value in families["dockyard_clusters"]}
    assert clusters == {"CREATE_COMPLETE": 1.0, "CREATE_FAILED": 1.0}
    assert families["dockyard_operation_queue_depth"] == [({}, 0.0)]
    requests = families["dockyard_http_request_duration_seconds"]
    not_found = [
        value
        for labels, value in requests
        if labels.get("route") == "/v1/clusters/{ident}"
        and labels.get("status") == "404"
        and labels.get("le") == "+Inf"
    ]
    assert not_found == [1.0]


def _samples(api: Api, family_name: str) -> list[tuple[str, dict[str, str], float]]:
    """(sample name, labels, value) of one family: a histogram's _bucket, _sum and _count."""
    text = api.get("/metrics").text
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        if family.name == family_name
        for sample in family.samples
    ]


def test_operation_durations_and_cluster_health(api: Api) -> None:
    """dockyard_operation_duration_seconds counts every finished operation once, with the
    run time the database records; dockyard_cluster_health has one series per cluster."""
    api.template(name="timed")
    slow = api.post(
        "/v1/clusters", {"cluster_template_id": "timed", "labels": {"fake_seconds": "0.3"}}
    ).json()["uuid"]
    quick = api.post("/v1/clusters", {"cluster_template_id": "timed"}).json()["uuid"]
    api.wait_status(slow, "CREATE_COMPLETE")
    api.wait_status(quick, "CREATE_COMPLETE")
    with api.runtime.db.read() as session:
        runs = [
            (op.finished_at - op.started_at).total_seconds()
            for op in session.scalars(select(Operation))
            if op.finished_at is not None and op.started_at is not None
        ]
    assert len(runs) == 2 and max(runs) >= 0.3
    for _ in range(2):  # a second scrape does not count the same operations again
        samples = _samples(api, "dockyard_operation_duration_seconds")
        create = [(n, labels, v) for n, labels, v in samples if labels["kind"] == "create"]
        buckets = {labels["le"]: v for n, labels, v in create if n.endswith("_bucket")}
        assert buckets["+Inf"] == 2.0
        assert buckets["1.0"] == float(sum(r <= 1.0 for r in runs))
        count = [v for n, _, v in create if n.endswith("_count")]
        total = [v for n, _, v in create if n.endswith("_sum")]
        assert count == [2.0] and abs(total[0] - sum(runs)) < 1e-3
    health = _samples(api, "dockyard_cluster_health")
    shown = {
        c: api.get(f"/v1/clusters/{c}").json()["health_status"] or "UNKNOWN" for c in (slow, quick)
    }
    assert {labels["cluster"]: labels["health"] for _, labels, _ in health} == shown
    assert [v for _, _, v in health] == [1.0, 1.0]
    by_health = _samples(api, "dockyard_clusters_by_health")
    assert sum(v for _, _, v in by_health) == 2.0


def test_two_api_workers_report_the_sum_of_both(tmp_path: Path) -> None:
    """`dockyard-api` with [api] workers = 2: whichever worker answers a scrape reports the
    requests both served (prometheus_client multiprocess mode)."""
    server = start_server(tmp_path, "dockyard-api", {"api": {"workers": 2}}, start_timeout=150)
    try:
        workers = wait_until(lambda: _children(server.process.pid), 30, "two workers",
                             until=lambda pids: len(pids) == 2)  # fmt: skip
        # The supervisor makes the directory after exec, so it is not in /proc/<pid>/environ
        # (forked workers inherit it in memory): it is the fresh one both workers write to.
        wanted = {f"histogram_{pid}.db" for pid in workers}
        sent = 0

        def both_served() -> Path | None:
            nonlocal sent
            for _ in range(10):  # new connections: the kernel spreads them over both
                with httpx.Client(headers=LATEST) as client:
                    assert client.get(f"{server.url}/v1/clusters").status_code == 200
                sent += 1
            for candidate in Path(tempfile.gettempdir()).glob("dockyard-metrics-*"):
                if {p.name for p in candidate.glob("histogram_*.db")} >= wanted:
                    return candidate
            return None

        directory = wait_until(both_served, 60, "requests served by both workers", interval=0)
        for _ in range(6):  # each scrape may be answered by either worker
            text = httpx.get(f"{server.url}/metrics").text
            counts = [
                sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == "dockyard_http_request_duration_seconds_count"
                and sample.labels["route"] == "/v1/clusters"
            ]
            assert counts == [float(sent)], (counts, sent)
    finally:
        server.stop()
    assert not directory.exists(), "the shared metrics directory outlives the server"


def _children(parent: int) -> list[int]:
    """The uvicorn worker processes of `parent`: forked, so they share its command line
    (not multiprocessing's resource tracker, which runs `-c ...resource_tracker...`)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != parent:
            continue
        with contextlib.suppress(OSError):
            if b"resource_tracker" not in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
    return found
