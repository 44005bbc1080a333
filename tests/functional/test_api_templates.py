"""Cluster templates: attributes, defaults, the seed's driver and label tables, visibility,
and the rule that a template in use cannot change."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api

MEMBER_B = {"X-Project-Id": "project-b", "X-User-Id": "bob", "X-Roles": "member"}
MEMBER_A = {"X-Project-Id": "default", "X-User-Id": "alice", "X-Roles": "member"}


def _detail(response: Any) -> str:
    return str(response.json()["errors"][0]["detail"])


def test_create_fills_defaults_and_returns_location(api: Api) -> None:
    response = api.post(
        "/v1/clustertemplates",
        {"coe": "swarm", "image_id": "fedora-atomic-latest", "labels": {"rexray_preempt": True}},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"].endswith(f"/v1/clustertemplates/{body['uuid']}")
    assert body["network_driver"] == "flannel"
    assert body["volume_driver"] is None
    assert body["server_type"] == "vm"
    assert body["cluster_distro"] == "fedora-atomic"
    assert body["driver"] == "fake"
    assert body["tls_disabled"] is False and body["floating_ip_enabled"] is True
    assert body["labels"] == {"rexray_preempt": "true"}
    assert body["name"]
    assert body["created_at"].endswith("+00:00")


def test_uuid_in_body_is_kept(api: Api) -> None:
    uuid = "0b9e3f6e-6f1c-4a9c-9d87-6a5d6d7a1c11"
    assert api.template(uuid=uuid)["uuid"] == uuid


@pytest.mark.parametrize(
    ("coe", "network", "volume", "ok"),
    [
        ("kubernetes", "flannel", "cinder", True),
        ("kubernetes", "docker", None, False),
        ("kubernetes", None, "rexray", False),
        ("swarm", "docker", "rexray", True),
        ("swarm-mode", "flannel", "rexray", True),
        ("swarm", None, "cinder", False),
        ("mesos", "docker", "rexray", True),
        ("mesos", "flannel", None, False),
    ],
)
def test_driver_tables_per_coe(
    api: Api, coe: str, network: str | None, volume: str | None, ok: bool
) -> None:
    image = "ubuntu-mesos" if coe == "mesos" else "fedora-atomic-latest"
    body: dict[str, Any] = {"coe": coe, "image_id": image}
    if network:
        body["network_driver"] = network
    if volume:
        body["volume_driver"] = volume
    response = api.post("/v1/clustertemplates", body)
    assert response.status_code == (201 if ok else 400), response.text
    if not ok:
        assert "driver type" in _detail(response)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"coe": "kubernetes"}, "image_id"),
        ({"image_id": "fedora-atomic-latest"}, "coe"),
        ({"coe": "nomad", "image_id": "fedora-atomic-latest"}, "coe"),
        ({"coe": "kubernetes", "image_id": "no-such-image"}, "no-such-image could not be found"),
        ({"coe": "mesos", "image_id": "fedora-atomic-latest"}, "(vm, fedora-atomic, mesos)"),
        ({"coe": "kubernetes", "image_id": "fedora-atomic-latest", "bogus": 1}, "bogus"),
        ({"coe": "kubernetes", "image_id": "fedora-atomic-latest", "project_id": "x"}, "read only"),
        (
            {"coe": "kubernetes", "image_id": "fedora-atomic-latest", "docker_volume_size": "big"},
            "docker_volume_size",
        ),
        (
            {"coe": "kubernetes", "image_id": "fedora-atomic-latest", "docker_volume_size": 0},
            "docker_volume_size",
        ),
        (
            {"coe": "kubernetes", "image_id": "fedora-atomic-latest", "apiserver_port": 80},
            "apiserver_port",
        ),
        (
            {"coe": "kubernetes", "image_id": "fedora-atomic-latest", "server_type": "pod"},
            "Server type",
        ),
        (
            {"coe": "kubernetes", "image_id": "fedora-atomic-latest", "dns_nameserver": "8.8.8"},
            "dns",
        ),
        (
            {
                "coe": "kubernetes",
                "image_id": "fedora-atomic-latest",
                "docker_storage_driver": "devicemapper",
                "docker_volume_size": 2,
            },
            "expecting minimum value 3GB for devicemapper",
        ),
        (
            {"coe": "swarm", "image_id": "fedora-atomic-latest", "docker_storage_driver": "zfs"},
            "docker_storage_driver: expected one of devicemapper, overlay, overlay2",
        ),
        (
            {
                "coe": "mesos",
                "image_id": "ubuntu-mesos",
                "labels": {"rexray-preempt": "true", "rexray_preempt": "false"},
            },
            "another spelling of rexray_preempt",
        ),
        ({"coe": "kubernetes", "image_id": "fedora-atomic-latest", "labels": ["a"]}, "labels"),
        (
            {"coe": "kubernetes", "image_id": "fedora-atomic-latest", "driver": "nope"},
            "Cluster driver (nope) not supported",
        ),
    ],
)
def test_bad_template_input_is_400_and_stores_nothing(
    api: Api, body: dict[str, Any], needle: str
) -> None:
    response = api.post("/v1/clustertemplates", body)
    assert response.status_code == 400, response.text
    assert needle in _detail(response)
    assert api.get("/v1/clustertemplates").json()["clustertemplates"] == []


@pytest.mark.parametrize(
    ("coe", "labels", "bad"),
    [
        ("kubernetes", {"flannel_backend": "gre"}, "flannel_backend"),
        ("kubernetes", {"flannel_network_cidr": "10.0.0.0/33"}, "flannel_network_cidr"),
        ("kubernetes", {"kube_dashboard_enabled": "maybe"}, "kube_dashboard_enabled"),
        ("kubernetes", {"etcd_volume_size": -1}, "etcd_volume_size"),
        (
            "kubernetes",
            {"admission_control_list": "NamespaceLifecycle,Bogus"},
            "admission_control_list",
        ),
        ("kubernetes", {"swarm_strategy": "spread"}, "swarm_strategy"),
        ("swarm", {"swarm_strategy": "roundrobin"}, "swarm_strategy"),
        ("swarm", {"prometheus_monitoring": "true"}, "prometheus_monitoring"),
        ("mesos", {"mesos_slave_image_providers": "rkt"}, "mesos_slave_image_providers"),
    ],
)
def test_labels_table_is_enforced_per_coe(
    api: Api, coe: str, labels: dict[str, Any], bad: str
) -> None:
    image = "ubuntu-mesos" if coe == "mesos" else "fedora-atomic-latest"
    response = api.post("/v1/clustertemplates", {"coe": coe, "image_id": image, "labels": labels})
    assert response.status_code == 400, response.text
    assert bad in _detail(response)


def test_patch_updates_and_validates(api: Api) -> None:
    template = api.template(name="t1", labels={"flannel_backend": "udp"})
    path = f"/v1/clustertemplates/{template['uuid']}"
    response = api.patch(
        path,
        [
            {"op": "replace", "path": "/name", "value": "t2"},
            {"op": "add", "path": "/labels/kube_tag", "value": "v1.9.3"},
            {"op": "remove", "path": "/labels/flannel_backend"},
            {"op": "replace", "path": "/docker_volume_size", "value": 5},
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["docker_volume_size"]) == ("t2", 5)
    assert body["labels"] == {"kube_tag": "v1.9.3"}
    assert body["updated_at"] is not None
    # Old clients send labels as a Python-literal string.
    literal = api.patch(path, [{"op": "replace", "path": "/labels", "value": "{'a': 'b'}"}])
    assert literal.json()["labels"] == {"a": "b"}


@pytest.mark.parametrize(
    ("ops", "needle"),
    [
        ([{"op": "replace", "path": "/uuid", "value": "x"}], "internal attribute"),
        ([{"op": "remove", "path": "/coe"}], "can not be removed"),
        ([{"op": "add", "path": "/coe", "value": "swarm"}], "has existed"),
        ([{"op": "replace", "path": "/nothing", "value": 1}], "Unknown attribute"),
        ([{"op": "move", "path": "/name", "from": "/x"}], "op"),
        ([{"op": "replace", "path": "name", "value": "x"}], "Invalid path"),
        ([{"op": "replace", "path": "/docker_volume_size", "value": "x"}], "docker_volume_size"),
        ([{"op": "replace", "path": "/network_driver", "value": "docker"}], "driver type"),
        ([{"op": "add", "path": "/labels/flannel_backend", "value": "gre"}], "flannel_backend"),
        ({"op": "replace"}, "patch"),
        ([], "empty"),
    ],
)
def test_bad_patches_are_400_and_change_nothing(api: Api, ops: Any, needle: str) -> None:
    template = api.template(name="stable")
    path = f"/v1/clustertemplates/{template['uuid']}"
    response = api.patch(path, ops)
    assert response.status_code == 400, response.text
    assert needle in _detail(response)
    after = api.get(path).json()
    assert after == template


def test_template_in_use_cannot_change_or_go(api: Api) -> None:
    template = api.template(name="used")
    path = f"/v1/clustertemplates/{template['uuid']}"
    cluster = api.post("/v1/clusters", {"cluster_template_id": "used"}).json()["uuid"]
    api.wait_status(cluster, "CREATE_COMPLETE")
    changed = api.patch(path, [{"op": "replace", "path": "/docker_volume_size", "value": 9}])
    assert changed.status_code == 409
    assert "referenced by one or multiple clusters" in _detail(changed)
    assert api.delete(path).status_code == 409
    renamed = api.patch(path, [{"op": "replace", "path": "/name", "value": "renamed"}])
    assert renamed.status_code == 200
    two = api.patch(
        path,
        [
            {"op": "replace", "path": "/name", "value": "x"},
            {"op": "add", "path": "/tags", "value": "a"},
        ],
    )
    assert two.status_code == 409
    api.delete(f"/v1/clusters/{cluster}")
    api.wait_status(cluster, "DELETE_COMPLETE")
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


def test_publish_is_admin_only(api: Api) -> None:
    denied = api.post(
        "/v1/clustertemplates",
        {"coe": "kubernetes", "image_id": "fedora-atomic-latest", "public": True},
        headers=MEMBER_A,
    )
    assert denied.status_code == 403
    assert "public or hidden" in _detail(denied)
    assert api.template(public=True)["public"] is True


def test_projects_see_own_and_public_templates_only(api: Api) -> None:
    private = api.template(name="private")
    public = api.template(name="shared", public=True)
    hidden = api.template(name="secret", public=True, hidden=True)
    seen = {
        t["uuid"]
        for t in api.get("/v1/clustertemplates", headers=MEMBER_B).json()["clustertemplates"]
    }
    assert seen == {public["uuid"]}
    assert api.get(f"/v1/clustertemplates/{private['uuid']}", headers=MEMBER_B).status_code == 404
    assert api.get(f"/v1/clustertemplates/{hidden['uuid']}", headers=MEMBER_B).status_code == 404
    # Another project may read a public template but not change it.
    denied = api.patch(
        f"/v1/clustertemplates/{public['uuid']}",
        [{"op": "replace", "path": "/name", "value": "mine"}],
        headers=MEMBER_B,
    )
    assert denied.status_code == 403
    reader = {"X-Project-Id": "default", "X-User-Id": "rita", "X-Roles": "reader"}
    assert api.get("/v1/clustertemplates", headers=reader).status_code == 200
    assert (
        api.post(
            "/v1/clustertemplates",
            {"coe": "kubernetes", "image_id": "fedora-atomic-latest"},
            headers=reader,
        ).status_code
        == 403
    )


def test_baymodels_are_templates_under_the_old_name(api: Api) -> None:
    response = api.post(
        "/v1/baymodels", {"coe": "swarm", "image_id": "fedora-atomic-latest", "name": "bm"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["links"][0]["href"].endswith(f"/v1/baymodels/{body['uuid']}")
    listed = api.get("/v1/baymodels", headers={"OpenStack-API-Version": ""}).json()
    assert [b["name"] for b in listed["baymodels"]] == ["bm"]
    assert api.get(f"/v1/clustertemplates/{body['uuid']}").json()["coe"] == "swarm"
    assert api.delete("/v1/baymodels/bm").status_code == 204


def test_lists_show_changes_at_once(api: Api) -> None:
    """Listed items are memoised by updated_at: every change must still show in the next list."""
    template = api.template(name="before")
    assert [t["name"] for t in api.get("/v1/clustertemplates").json()["clustertemplates"]] == [
        "before"
    ]
    path = f"/v1/clustertemplates/{template['uuid']}"
    for name in ("after", "again"):
        api.patch(path, [{"op": "replace", "path": "/name", "value": name}])
        listed = api.get("/v1/clustertemplates").json()["clustertemplates"]
        assert [t["name"] for t in listed] == [name]
    uuid = api.post("/v1/clusters", {"cluster_template_id": "again"}).json()["uuid"]
    seen = {api.get("/v1/clusters").json()["clusters"][0]["status"]}
    api.wait_status(uuid, "CREATE_COMPLETE")
    seen.add(api.get("/v1/clusters").json()["clusters"][0]["status"])
    assert "CREATE_COMPLETE" in seen
    old = api.get("/v1/clusters", headers={"OpenStack-API-Version": "container-infra 1.12"})
    assert "stack_id" in old.json()["clusters"][0]
    assert "cluster_id" in api.get("/v1/clusters").json()["clusters"][0]


def test_in_use_409_names_the_callers_clusters_and_counts_the_others(api: Api) -> None:
    """The 409 says which clusters block a delete: by name for the caller's project (every
    project for an admin), as a count for the rest, so no other project's names leak."""
    owned = api.post(
        "/v1/clustertemplates",
        {"name": "blocked", "coe": "kubernetes", "image_id": "fedora-atomic-latest"},
        headers=MEMBER_A,
    ).json()
    path = f"/v1/clustertemplates/{owned['uuid']}"
    assert api.patch(path, [{"op": "replace", "path": "/public", "value": True}]).status_code == 200
    mine = [
        api.post("/v1/clusters", {"name": n, "cluster_template_id": owned["uuid"]},
                 headers=MEMBER_A).json()["uuid"]
        for n in ("zeta", "alpha")
    ]  # fmt: skip
    theirs = api.post(
        "/v1/clusters", {"name": "bobs", "cluster_template_id": owned["uuid"]}, headers=MEMBER_B
    ).json()["uuid"]

    as_member = api.delete(path, headers=MEMBER_A)
    assert as_member.status_code == 409
    assert _detail(as_member) == (
        f"ClusterTemplate {owned['uuid']} is referenced by one or multiple clusters. "
        "In use by alpha, zeta and 1 cluster of other projects. Delete those clusters first."
    )
    as_admin = api.delete(path)
    assert "In use by alpha, bobs, zeta. Delete those clusters first." in _detail(as_admin)
    edit = api.patch(path, [{"op": "replace", "path": "/flavor_id", "value": "m1.large"}])
    assert edit.status_code == 409
    assert _detail(edit).endswith(
        "In use by alpha, bobs, zeta. While it is in use, only one of name, public, hidden or "
        "tags may change per request."
    )
    for cluster in [*mine, theirs]:
        api.delete(f"/v1/clusters/{cluster}")
        api.wait_status(cluster, "DELETE_COMPLETE")
    assert api.delete(path).status_code == 204
