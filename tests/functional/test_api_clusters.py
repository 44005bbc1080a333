"""Clusters: create rules, the seed's cluster-update table, 409s for busy clusters, resize,
upgrade, the event timeline, bays, quotas, stats and services."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api

MEMBER_B = {"X-Project-Id": "project-b", "X-User-Id": "bob", "X-Roles": "member"}


def _detail(response: Any) -> str:
    return str(response.json()["errors"][0]["detail"])


@pytest.fixture
def template(api: Api) -> dict[str, Any]:
    return api.template(name="k8s", labels={"flannel_backend": "vxlan"})


def _create(api: Api, **fields: Any) -> str:
    body = {"cluster_template_id": "k8s", **fields}
    response = api.post("/v1/clusters", body)
    assert response.status_code == 202, response.text
    return str(response.json()["uuid"])


def test_row_exists_right_after_202(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api, name="fast", labels={"fake_seconds": "0.5"})
    body = api.get(f"/v1/clusters/{uuid}").json()
    assert body["status"] == "CREATE_IN_PROGRESS"
    assert body["name"] == "fast"
    done = api.wait_status(uuid, "CREATE_COMPLETE")
    assert done["labels"] == {"fake_seconds": "0.5"}
    assert done["labels_skipped"] == {"flannel_backend": "vxlan"}
    assert done["labels_added"] == {"fake_seconds": "0.5"}
    assert done["cluster_id"] == f"fake-{uuid[:8]}"
    old = api.get(f"/v1/clusters/{uuid}", headers={"OpenStack-API-Version": "container-infra 1.12"})
    assert "stack_id" in old.json() and "cluster_id" not in old.json()


def test_labels_merge_and_summary_view(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api, labels={"kube_tag": "v1.9.3"}, merge_labels=True)
    done = api.wait_status(uuid, "CREATE_COMPLETE")
    assert done["labels"] == {"flannel_backend": "vxlan", "kube_tag": "v1.9.3"}
    summary = api.get("/v1/clusters").json()["clusters"][0]
    assert summary["merge_labels"] is False
    assert "api_address" not in summary and "status" in summary
    detail = api.get("/v1/clusters/detail").json()["clusters"][0]
    assert detail["master_addresses"] == ["127.51.100.10"]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"cluster_template_id": "k8s", "master_count": 2}, 400, "even number"),
        ({"cluster_template_id": "k8s", "name": "1bad"}, 400, "name"),
        ({"cluster_template_id": "k8s", "node_count": -1}, 400, "node_count"),
        (
            {"cluster_template_id": "k8s", "labels": {"flannel_backend": "gre"}},
            400,
            "flannel_backend",
        ),
        ({"cluster_template_id": "k8s", "api_address": "x"}, 400, "read only"),
        ({"cluster_template_id": "k8s", "colour": "blue"}, 400, "colour"),
        ({"cluster_template_id": "nope"}, 404, "nope could not be found"),
        ({"name": "x"}, 400, "cluster_template_id"),
    ],
)
def test_bad_cluster_input_is_refused_and_stores_nothing(
    api: Api, template: dict[str, Any], body: dict[str, Any], status: int, needle: str
) -> None:
    response = api.post("/v1/clusters", body)
    assert response.status_code == status, response.text
    assert needle in _detail(response)
    assert api.get("/v1/clusters").json()["clusters"] == []


def test_old_microversions_keep_their_rules(api: Api, template: dict[str, Any]) -> None:
    old = {"OpenStack-API-Version": "container-infra 1.9"}
    zero = api.post("/v1/clusters", {"cluster_template_id": "k8s", "node_count": 0}, headers=old)
    assert zero.status_code == 400
    missing = api.post("/v1/clusters", {"cluster_template_id": "nope"}, headers=old)
    assert missing.status_code == 400
    uuid = _create(api, node_count=0)
    assert api.wait_status(uuid, "CREATE_COMPLETE")["node_count"] == 0


def test_zero_nodes_without_a_version_header(api: Api, template: dict[str, Any]) -> None:
    """magnum-tempest-plugin's zero-node test names no microversion: create accepts 0 then,
    while an explicit 1.1 keeps Magnum's 400, and so does a PATCH without a header."""
    unversioned = api.client.post(
        "/v1/clusters", json={"cluster_template_id": "k8s", "node_count": 0}
    )
    assert unversioned.status_code == 202, unversioned.text
    assert unversioned.headers["OpenStack-API-Version"].endswith(" 1.1")
    uuid = unversioned.json()["uuid"]
    assert api.wait_status(uuid, "CREATE_COMPLETE")["node_count"] == 0
    explicit = api.post(
        "/v1/clusters",
        {"cluster_template_id": "k8s", "node_count": 0},
        headers={"OpenStack-API-Version": "container-infra 1.1"},
    )
    assert explicit.status_code == 400
    other = _create(api)
    api.wait_status(other, "CREATE_COMPLETE")
    patch = api.client.patch(
        f"/v1/clusters/{other}", json=[{"op": "replace", "path": "/node_count", "value": 0}]
    )
    assert patch.status_code == 400, patch.text


@pytest.mark.parametrize("lb", [True, False])
def test_three_masters_with_or_without_a_load_balancer(api: Api, lb: bool) -> None:
    """The guide: without the load balancer "one of the masters will serve as the API
    endpoint" (current Magnum refuses master_count > 1 there)."""
    api.template(name="ha", master_lb_enabled=lb)
    uuid = api.post("/v1/clusters", {"cluster_template_id": "ha", "master_count": 3}).json()["uuid"]
    body = api.wait_status(uuid, "CREATE_COMPLETE")
    assert body["master_count"] == 3 and len(body["master_addresses"]) == 3
    assert body["master_lb_enabled"] is lb


def test_seed_template_defaults(api: Api) -> None:
    """master_lb_enabled defaults to true (the guide); devicemapper without a volume size is
    the legacy CLI's default template and is accepted, as the seed-era service did; the
    guide's hyphenated label spelling is stored under the table's name."""
    body = api.template(
        name="legacy",
        coe="mesos",
        image_id="ubuntu-mesos",
        docker_storage_driver="devicemapper",
        labels={"rexray-preempt": "True"},
    )
    assert body["master_lb_enabled"] is True
    assert body["docker_volume_size"] is None
    assert body["labels"] == {"rexray_preempt": "true"}
    small = api.post("/v1/clusters", {"cluster_template_id": "legacy", "docker_volume_size": 2})
    assert small.status_code == 400
    assert "expecting minimum value 3GB" in _detail(small)


def test_cluster_update_table(api: Api, template: dict[str, Any]) -> None:
    """The seed's table: node_count replace scales, remove resets to 1, nothing else changes."""
    uuid = _create(api, node_count=2)
    api.wait_status(uuid, "CREATE_COMPLETE")
    path = f"/v1/clusters/{uuid}"
    refused = [
        [{"op": "add", "path": "/node_count", "value": 4}],
        [{"op": "replace", "path": "/master_count", "value": 3}],
        [{"op": "remove", "path": "/master_count"}],
        [{"op": "replace", "path": "/name", "value": "other"}],
        [{"op": "remove", "path": "/name"}],
        [{"op": "replace", "path": "/discovery_url", "value": "http://x"}],
        [{"op": "add", "path": "/labels/a", "value": "b"}],
        [{"op": "replace", "path": "/api_address", "value": "x"}],
        [{"op": "replace", "path": "/node_count", "value": "many"}],
    ]
    for ops in refused:
        response = api.patch(path, ops)
        assert response.status_code == 400, (ops, response.text)
    assert api.get(path).json()["status"] == "CREATE_COMPLETE"
    assert (
        api.patch(path, [{"op": "replace", "path": "/node_count", "value": 4}]).status_code == 202
    )
    assert api.wait_status(uuid, "UPDATE_COMPLETE")["node_count"] == 4
    assert api.patch(path, [{"op": "remove", "path": "/node_count"}]).status_code == 202
    body = api.wait_status(uuid, "UPDATE_COMPLETE")
    assert body["node_count"] == 1 and len(body["node_addresses"]) == 1


def test_busy_cluster_gets_409(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api, labels={"fake_seconds": "1"})
    path = f"/v1/clusters/{uuid}"
    update = api.patch(path, [{"op": "replace", "path": "/node_count", "value": 2}])
    assert update.status_code == 409
    assert "operation in progress (create, status CREATE_IN_PROGRESS)" in _detail(update)
    resize = api.post(f"{path}/actions/resize", {"node_count": 2})
    assert resize.status_code == 409
    api.wait_status(uuid, "CREATE_COMPLETE")
    assert api.post(f"{path}/actions/resize", {"node_count": 2}).status_code == 202
    second = api.post(f"{path}/actions/resize", {"node_count": 3})
    assert second.status_code == 409
    assert "operation in progress" in _detail(second)
    assert api.wait_status(uuid, "UPDATE_COMPLETE")["node_count"] == 2


def test_failed_create_has_reason_faults_and_timeline(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api, labels={"fake_fail": "create"})
    body = api.wait_status(uuid, "CREATE_FAILED")
    assert body["status_reason"] == "fake driver was told to fail create"
    assert body["faults"]
    update = api.patch(
        f"/v1/clusters/{uuid}", [{"op": "replace", "path": "/node_count", "value": 2}]
    )
    assert update.status_code == 409
    events = api.get(f"/v1/clusters/{uuid}/events").json()
    assert [e["event"] for e in events["events"]] == [
        "create.requested",
        "create.started",
        "create.failed",
    ]
    assert events["operations"][0]["state"] == "FAILED"
    assert api.delete(f"/v1/clusters/{uuid}").status_code == 204
    api.wait_status(uuid, "DELETE_COMPLETE")


def test_failed_resize_puts_the_old_size_back(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api, labels={"fake_fail": "resize"}, node_count=2)
    api.wait_status(uuid, "CREATE_COMPLETE")
    response = api.post(f"/v1/clusters/{uuid}/actions/resize", {"node_count": 5})
    assert response.status_code == 202
    body = api.wait_status(uuid, "UPDATE_FAILED")
    assert body["node_count"] == 2
    assert "resize" in body["status_reason"]
    # Resize may retry a failed update (Magnum allows it for the autoscaler).
    assert api.post(f"/v1/clusters/{uuid}/actions/resize", {"node_count": 3}).status_code == 202


def test_resize_rules(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api)
    api.wait_status(uuid, "CREATE_COMPLETE")
    path = f"/v1/clusters/{uuid}/actions/resize"
    old = api.post(
        path, {"node_count": 2}, headers={"OpenStack-API-Version": "container-infra 1.6"}
    )
    assert old.status_code == 406
    master = api.post(path, {"node_count": 3, "nodegroup": "default-master"})
    assert master.status_code == 400
    assert api.post(path, {"count": 3}).status_code == 400
    ok = api.post(path, {"node_count": 3, "nodegroup": "default-worker"})
    assert ok.status_code == 202 and ok.json() == {"uuid": uuid}
    assert api.wait_status(uuid, "UPDATE_COMPLETE")["node_count"] == 3


def test_async_driver_is_polled_to_completion(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api, labels={"fake_async": "3"})
    assert api.wait_status(uuid, "CREATE_COMPLETE")["api_address"]


def test_upgrade_runs_through_the_driver(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api)
    api.wait_status(uuid, "CREATE_COMPLETE")
    new = api.template(name="k8s-new")
    response = api.post(f"/v1/clusters/{uuid}/actions/upgrade", {"cluster_template": "k8s-new"})
    assert response.status_code == 202, response.text
    upgraded = api.wait_status(uuid, "UPDATE_COMPLETE")
    assert upgraded["cluster_template_id"] == new["uuid"]  # the cluster runs the new template
    assert (
        api.post(
            f"/v1/clusters/{uuid}/actions/upgrade",
            {"cluster_template": "k8s-new"},
            headers={"OpenStack-API-Version": "container-infra 1.7"},
        ).status_code
        == 400
    )


def test_nodegroups(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api, node_count=2)
    api.wait_status(uuid, "CREATE_COMPLETE")
    groups = api.get(f"/v1/clusters/{uuid}/nodegroups/").json()["nodegroups"]
    assert {(g["name"], g["role"], g["node_count"]) for g in groups} == {
        ("default-master", "master", 1),
        ("default-worker", "worker", 2),
    }
    workers = api.get(f"/v1/clusters/{uuid}/nodegroups?role=worker").json()["nodegroups"]
    assert [g["name"] for g in workers] == ["default-worker"]
    worker = api.get(f"/v1/clusters/{uuid}/nodegroups/default-worker").json()
    assert worker["node_addresses"] == ["127.51.100.100", "127.51.100.101"]
    assert worker["cluster_id"] == uuid and worker["status"] == "CREATE_COMPLETE"
    old = api.get(
        f"/v1/clusters/{uuid}/nodegroups", headers={"OpenStack-API-Version": "container-infra 1.8"}
    )
    assert old.status_code == 406


def test_projects_are_isolated(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api)
    assert api.get(f"/v1/clusters/{uuid}", headers=MEMBER_B).status_code == 404
    assert api.get("/v1/clusters", headers=MEMBER_B).json()["clusters"] == []
    assert api.delete(f"/v1/clusters/{uuid}", headers=MEMBER_B).status_code == 404
    denied = api.post("/v1/clusters", {"cluster_template_id": template["uuid"]}, headers=MEMBER_B)
    assert denied.status_code == 404
    # An admin sees every project's clusters.
    assert [c["uuid"] for c in api.get("/v1/clusters").json()["clusters"]] == [uuid]


def test_hidden_template_is_admin_only_for_clusters(api: Api) -> None:
    api.template(name="hidden", hidden=True, public=True)
    member = {"X-Project-Id": "default", "X-User-Id": "alice", "X-Roles": "member"}
    response = api.post("/v1/clusters", {"cluster_template_id": "hidden"}, headers=member)
    assert response.status_code in (403, 404)


def test_quota_limits_cluster_creation(api: Api, template: dict[str, Any]) -> None:
    created = api.post(
        "/v1/quotas", {"project_id": "default", "resource": "Cluster", "hard_limit": 1}
    )
    assert created.status_code == 201, created.text
    _create(api)
    over = api.post("/v1/clusters", {"cluster_template_id": "k8s"})
    assert over.status_code == 403
    assert "maximum clusters per project, 1" in _detail(over)
    assert len(api.get("/v1/clusters").json()["clusters"]) == 1


def test_quotas_api(api: Api) -> None:
    body = {"project_id": "p1", "resource": "Cluster", "hard_limit": 3}
    assert api.post("/v1/quotas", body).status_code == 201
    assert api.post("/v1/quotas", body).status_code == 409
    assert api.get("/v1/quotas/p1/Cluster").json()["hard_limit"] == 3
    default = api.get("/v1/quotas/p2/Cluster").json()
    assert default == {"project_id": "p2", "resource": "Cluster", "hard_limit": 20}
    assert api.get("/v1/quotas").json()["quotas"] == []
    listed = api.get("/v1/quotas?all_tenants=True").json()["quotas"]
    assert [q["project_id"] for q in listed] == ["p1"]
    updated = api.patch("/v1/quotas/p1/Cluster", {**body, "hard_limit": 5})
    assert updated.status_code == 202 and updated.json()["hard_limit"] == 5
    assert api.post("/v1/quotas", {"project_id": "p3", "resource": "Pods"}).status_code == 400
    assert api.get("/v1/quotas", headers=MEMBER_B).status_code == 403
    assert api.get("/v1/quotas/p1/Cluster", headers=MEMBER_B).status_code == 403
    assert api.delete("/v1/quotas/p1/Cluster").status_code == 204
    assert api.delete("/v1/quotas/p1/Cluster").status_code == 404


def test_stats(api: Api, template: dict[str, Any]) -> None:
    uuid = _create(api, node_count=2)
    api.wait_status(uuid, "CREATE_COMPLETE")
    assert api.get("/v1/stats").json() == {"clusters": 1, "nodes": 3}
    assert api.get("/v1/stats?project_id=default").json() == {"clusters": 1, "nodes": 3}
    assert api.get("/v1/stats", headers=MEMBER_B).json() == {"clusters": 0, "nodes": 0}
    assert api.get("/v1/stats?project_id=default", headers=MEMBER_B).status_code == 403
    assert api.get("/v1/stats?type=pods").status_code == 400


def test_mservices(api: Api) -> None:
    services = api.get("/v1/mservices").json()["mservices"]
    assert [(s["binary"], s["dockyard_binary"], s["state"]) for s in services] == [
        ("magnum-conductor", "dockyard-conductor", "up")
    ]
    assert api.get("/v1/mservices", headers=MEMBER_B).status_code == 403


def test_bays_speak_the_old_field_names(api: Api) -> None:
    api.template(name="bm")
    old = {"OpenStack-API-Version": ""}
    created = api.post(
        "/v1/bays", {"name": "bay1", "baymodel_id": "bm", "node_count": 1}, headers=old
    )
    assert created.status_code == 201, created.text
    bay = created.json()
    assert bay["baymodel_id"] and "bay_create_timeout" in bay and "stack_id" in bay
    uuid = bay["uuid"]
    api.wait_status(uuid, "CREATE_COMPLETE")
    new = api.post("/v1/bays", {"name": "bay2", "baymodel_id": "bm"})
    assert new.status_code == 202 and set(new.json()) == {"uuid"}
    listed = api.get("/v1/bays").json()["bays"]
    assert {b["name"] for b in listed} == {"bay1", "bay2"}
    assert (
        api.post("/v1/bays", {"baymodel_id": "bm", "cluster_template_id": "bm"}).status_code == 400
    )
    assert api.delete("/v1/bays/bay1").status_code == 204
