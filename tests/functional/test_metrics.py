"""GET /metrics: Prometheus text that parses, with operation counts that match the database."""

from __future__ import annotations

from conftest import Api
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
