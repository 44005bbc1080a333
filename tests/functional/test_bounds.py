"""Out-of-range integers answer 400 naming the field and the limit (docs/api.md, "Ranges of
integers"), never 500 and never an accepted request; the per-cluster node limit and the Node
quota hold."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api

BIG = 2**31
HUGE = 2**63  # orjson reads integers beyond 64 bits as floats, which fail as non-integers


def _error(response: Any) -> str:
    return str(response.json()["errors"][0]["detail"])


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("node_count", BIG, "2147483647"),
        ("node_count", -1, "0"),
        ("master_count", BIG, "2147483647"),
        ("create_timeout", 10081, "10080"),
        ("docker_volume_size", HUGE, "16384"),
    ],
)
def test_cluster_create_fields(api: Api, field: str, value: int, limit: str) -> None:
    template = api.template(name="t")
    body = {"cluster_template_id": template["uuid"], field: value}
    response = api.post("/v1/clusters", body)
    assert response.status_code == 400, response.text
    assert field in _error(response) and limit in _error(response)
    assert api.get("/v1/clusters").json()["clusters"] == []


def test_template_label_and_size(api: Api) -> None:
    for body, field in (
        ({"docker_volume_size": BIG}, "docker_volume_size"),
        ({"labels": {"x": HUGE}}, "labels.x"),
    ):
        response = api.post(
            "/v1/clustertemplates",
            {"coe": "kubernetes", "image_id": "fedora-atomic-latest", **body},
        )
        assert response.status_code == 400, response.text
        assert field in _error(response)


def test_quota_events_and_patch(api: Api) -> None:
    response = api.post("/v1/quotas", {"project_id": "p", "hard_limit": BIG})
    assert response.status_code == 400 and "hard_limit" in _error(response)
    template = api.template(name="t")
    cluster = api.post("/v1/clusters", {"cluster_template_id": template["uuid"]}).json()["uuid"]
    api.wait_status(cluster, "CREATE_COMPLETE")
    response = api.get(f"/v1/clusters/{cluster}/events", params={"after": str(HUGE)})
    assert response.status_code == 400 and "after" in _error(response)
    patch = [{"op": "replace", "path": "/node_count", "value": BIG}]
    response = api.patch(f"/v1/clusters/{cluster}", patch)
    assert response.status_code == 400 and "node_count" in _error(response)
    response = api.post(f"/v1/clusters/{cluster}/actions/resize", {"node_count": 100})
    assert response.status_code == 400, response.text
    assert "max_nodes_per_cluster" in _error(response)


def test_node_quota(api: Api) -> None:
    template = api.template(name="t", public=True)
    member = {"X-Project-Id": "small", "X-Roles": "member"}
    response = api.post("/v1/quotas", {"project_id": "small", "resource": "Node", "hard_limit": 4})
    assert response.status_code == 201, response.text
    body = {"cluster_template_id": template["uuid"], "node_count": 2}
    first = api.post("/v1/clusters", body, headers=member)
    assert first.status_code == 202, first.text  # 1 master + 2 workers = 3 of 4
    second = api.post("/v1/clusters", body, headers=member)
    assert second.status_code == 403 and "Node quota is 4" in _error(second)
    cluster = first.json()["uuid"]
    api.wait_status(cluster, "CREATE_COMPLETE")
    grow = api.post(f"/v1/clusters/{cluster}/actions/resize", {"node_count": 4}, headers=member)
    assert grow.status_code == 403, grow.text
    fits = api.post(f"/v1/clusters/{cluster}/actions/resize", {"node_count": 3}, headers=member)
    assert fits.status_code == 202, fits.text


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("node_count", BIG, "2147483647"),
        ("min_node_count", BIG, "2147483647"),
        ("max_node_count", BIG, "2147483647"),
        ("docker_volume_size", HUGE, "16384"),
    ],
)
def test_nodegroup_create_and_patch_fields(api: Api, field: str, value: int, limit: str) -> None:
    template = api.template(name="t")
    cluster = api.post("/v1/clusters", {"cluster_template_id": template["uuid"]}).json()["uuid"]
    api.wait_status(cluster, "CREATE_COMPLETE")
    nodegroups = f"/v1/clusters/{cluster}/nodegroups"
    response = api.post(nodegroups, {"name": "ng", field: value})
    assert response.status_code == 400, response.text
    assert field in _error(response) and limit in _error(response)
    if field in ("min_node_count", "max_node_count"):  # the patchable ones
        patch = [{"op": "replace", "path": f"/{field}", "value": value}]
        response = api.patch(f"{nodegroups}/default-worker", patch)
        assert response.status_code == 400, response.text
        assert field in _error(response) and limit in _error(response)
