"""Magnum's wire conventions: versions, microversion negotiation, error envelope, request ids,
pagination and lookups."""

from __future__ import annotations

import pytest
from conftest import Api


def _error(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"errors"}
    entry: dict[str, object] = body["errors"][0]
    assert {"request_id", "code", "status", "title", "detail", "links"} <= set(entry)
    assert entry["status"] == response.status_code  # type: ignore[attr-defined]
    return entry


def test_version_documents(api: Api) -> None:
    root = api.get("/", headers={"OpenStack-API-Version": ""}).json()
    assert root["versions"][0]["min_version"] == "1.1"
    assert root["versions"][0]["max_version"] == "1.14"
    v1 = api.get("/v1").json()
    assert v1["id"] == "v1"
    assert v1["clusters"][0]["href"].endswith("/v1/clusters/")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "1.1"),
        ("container-infra latest", "1.14"),
        ("container-infrastructure 1.9", "1.9"),
        ("container-infrastructure-management 1.13", "1.13"),
    ],
)
def test_microversion_negotiation(api: Api, header: str | None, expected: str) -> None:
    headers = {"OpenStack-API-Version": header} if header else {"OpenStack-API-Version": ""}
    response = api.get("/v1/clusters", headers=headers)
    assert response.status_code == 200
    assert response.headers["openstack-api-version"] == (
        f"container-infrastructure-management {expected}"
    )
    assert response.headers["openstack-api-minimum-version"].endswith(" 1.1")
    assert response.headers["openstack-api-maximum-version"].endswith(" 1.14")
    assert response.headers["x-openstack-request-id"].startswith("req-")


@pytest.mark.parametrize("header", ["container-infra 1.15", "container-infra 0.9"])
def test_unsupported_microversion_is_406(api: Api, header: str) -> None:
    response = api.get("/v1/clusters", headers={"OpenStack-API-Version": header})
    assert response.status_code == 406
    entry = _error(response)
    assert entry["code"] == "magnum.microversion-unsupported"
    assert entry["max_version"] == "1.14"


@pytest.mark.parametrize("header", ["compute 1.2", "container-infra one.two", "garbage"])
def test_malformed_microversion_is_406(api: Api, header: str) -> None:
    response = api.get("/v1/clusters", headers={"OpenStack-API-Version": header})
    assert response.status_code == 406
    _error(response)


def test_feature_below_its_microversion_is_406(api: Api) -> None:
    response = api.get("/v1/quotas", headers={"OpenStack-API-Version": "container-infra 1.5"})
    assert response.status_code == 406
    assert "quotas is not supported" in str(_error(response)["detail"])


def test_request_id_is_in_error_body_and_header(api: Api) -> None:
    response = api.get("/v1/clusters/nope")
    assert response.status_code == 404
    entry = _error(response)
    assert entry["request_id"] == response.headers["x-openstack-request-id"]
    assert entry["title"] == "Cluster nope could not be found"


def test_paths_without_v1_prefix_are_served(api: Api) -> None:
    assert api.get("/clusters").status_code == 200
    assert api.get("/clustertemplates/").status_code == 200


def test_unknown_path_and_method(api: Api) -> None:
    assert _error(api.get("/v1/nothing-here"))["title"] == "Not Found"
    response = api.request("PUT", "/v1/clusters")
    assert response.status_code == 405
    _error(response)


def test_unknown_query_parameter_is_400(api: Api) -> None:
    response = api.get("/v1/clusters?name=x")
    assert response.status_code == 400
    assert _error(response)["detail"] == 'Unknown argument: "name"'


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("limit=0", "Limit must be positive"),
        ("sort_dir=up", "Invalid sort direction: up"),
        ("sort_key=bogus", 'The sort_key value "bogus" is an invalid field for sorting'),
        ("marker=not-a-uuid", "marker"),
    ],
)
def test_bad_pagination_is_400(api: Api, query: str, detail: str) -> None:
    response = api.get(f"/v1/clustertemplates?{query}")
    assert response.status_code == 400
    assert detail in str(_error(response)["detail"])


def test_pagination_walks_every_template_once(api: Api) -> None:
    created = {api.template(name=f"t{i:02d}")["uuid"] for i in range(7)}
    seen: list[str] = []
    url = "/v1/clustertemplates?limit=3&sort_key=name&sort_dir=desc"
    while url:
        body = api.get(url).json()
        seen += [t["uuid"] for t in body["clustertemplates"]]
        assert len(body["clustertemplates"]) <= 3
        url = body.get("next", "").split("9511", 1)[-1].replace("http://testserver", "")
    assert sorted(seen) == sorted(created)
    names = [api.get(f"/v1/clustertemplates/{u}").json()["name"] for u in seen]
    assert names == sorted(names, reverse=True)


def test_next_link_only_on_full_page(api: Api) -> None:
    api.template(name="a")
    api.template(name="b")
    assert "next" in api.get("/v1/clustertemplates?limit=2").json()
    assert "next" not in api.get("/v1/clustertemplates?limit=3").json()


def test_duplicate_names_are_409_and_uuid_still_works(api: Api) -> None:
    first = api.template(name="twin")
    api.template(name="twin")
    response = api.get("/v1/clustertemplates/twin")
    assert response.status_code == 409
    assert "Multiple clustertemplates exist with same name" in str(_error(response)["detail"])
    assert api.get(f"/v1/clustertemplates/{first['uuid']}").json()["name"] == "twin"


def test_bad_json_and_oversize_body(api: Api) -> None:
    bad = api.request(
        "POST",
        "/v1/clustertemplates",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 400
    assert _error(bad)["title"] == "Request is not in valid JSON format"
    huge = {
        "coe": "kubernetes",
        "image_id": "fedora-atomic-latest",
        "labels": {f"k{i}": "v" * 200 for i in range(700)},
    }
    too_big = api.post("/v1/clustertemplates", huge)
    assert too_big.status_code == 413
    _error(too_big)
    assert api.get("/v1/clustertemplates").json()["clustertemplates"] == []
