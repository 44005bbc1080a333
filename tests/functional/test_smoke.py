"""First end-to-end path through the in-process API and conductor."""

from __future__ import annotations

from conftest import Api


def test_cluster_lifecycle(api: Api) -> None:
    template = api.template(name="k8s")
    created = api.post(
        "/v1/clusters", {"name": "c1", "cluster_template_id": "k8s", "node_count": 2}
    )
    assert created.status_code == 202, created.text
    uuid = created.json()["uuid"]
    body = api.wait_status(uuid, "CREATE_COMPLETE")
    assert body["node_count"] == 2
    assert body["cluster_template_id"] == template["uuid"]
    assert body["master_addresses"] == ["127.51.100.10"]
    resized = api.patch(
        f"/v1/clusters/{uuid}", [{"op": "replace", "path": "/node_count", "value": 3}]
    )
    assert resized.status_code == 202, resized.text
    body = api.wait_status(uuid, "UPDATE_COMPLETE")
    assert len(body["node_addresses"]) == 3
    assert api.delete(f"/v1/clusters/{uuid}").status_code == 204
    api.wait_status(uuid, "DELETE_COMPLETE")
    assert api.get(f"/v1/clusters/{uuid}").status_code == 404
