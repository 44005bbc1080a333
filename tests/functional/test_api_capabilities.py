"""GET /v1/capabilities and GET /v1/images: what the dashboard asks before it offers a button."""

from __future__ import annotations

import json

from conftest import Api

from dockyard.domain.status import ALLOWED_FROM, OperationKind
from dockyard.services.images import SHIPPED_CATALOG

MEMBER = {"X-Project-Id": "p1", "X-User-Id": "u1", "X-Roles": "member"}
READER = {"X-Project-Id": "p1", "X-User-Id": "u1", "X-Roles": "reader"}


def test_capabilities_follow_the_callers_roles(api: Api) -> None:
    admin = api.get("/v1/capabilities").json()
    member = api.get("/v1/capabilities", headers=MEMBER).json()
    reader = api.get("/v1/capabilities", headers=READER).json()
    assert admin["is_admin"] is True and member["is_admin"] is False
    assert (member["project_id"], member["user_id"]) == ("p1", "u1")
    assert member["roles"] == ["member", "reader"]  # Keystone's implied roles
    assert admin["rules"]["quota:get_all"] and admin["rules"]["magnum-service:get_all"]
    for rule in ("quota:get_all", "magnum-service:get_all", "quota:create"):
        assert member["rules"][rule] is False and reader["rules"][rule] is False
    for rule in ("cluster:create", "cluster:delete", "clustertemplate:create", "volume:create"):
        assert member["rules"][rule] is True and reader["rules"][rule] is False
    assert reader["rules"]["stats:get_all"] is True and reader["rules"]["image:get_all"] is True


def test_capabilities_agree_with_what_the_api_refuses(api: Api) -> None:
    """A rule reported false is a 403 on its endpoint; true is not."""
    reader = api.get("/v1/capabilities", headers=READER).json()["rules"]
    assert reader["quota:get_all"] is False
    assert api.get("/v1/quotas", headers=READER).status_code == 403
    assert reader["clustertemplate:create"] is False
    body = {"coe": "kubernetes", "image_id": "fedora-atomic-latest"}
    assert api.post("/v1/clustertemplates", body, headers=READER).status_code == 403
    assert reader["stats:get_all"] is True
    assert api.get("/v1/stats", headers=READER).status_code == 200


def test_cluster_operations_are_the_status_table_the_api_enforces(api: Api) -> None:
    ops = api.get("/v1/capabilities").json()["cluster_operations"]
    assert ops["resize"] == sorted(s.value for s in ALLOWED_FROM[OperationKind.RESIZE])
    assert "CREATE_FAILED" not in ops["resize"] and "UPDATE_FAILED" in ops["resize"]
    assert "CREATE_FAILED" in ops["delete"]


def test_images_list_the_catalog(api: Api) -> None:
    with open(SHIPPED_CATALOG, encoding="utf-8") as handle:
        catalog = json.load(handle)
    body = api.get("/v1/images", headers=READER).json()
    assert body["listed"] is True
    assert [(i["id"], i["name"], i["os_distro"]) for i in body["images"]] == [
        (e["id"], e["name"], e.get("os_distro")) for e in catalog
    ]
