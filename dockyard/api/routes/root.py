"""Version discovery: GET / and GET /v1 (public)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dockyard.api import microversions
from dockyard.api.schemas import openapi as oa
from dockyard.api.views.common import app_url, json_response

router = APIRouter()

_V1_COLLECTIONS = (
    "clustertemplates",
    "clusters",
    "quotas",
    "certificates",
    "mservices",
    "stats",
    "federations",
    "credentials",
    "baymodels",
    "bays",
)


@router.get("/", **oa.doc(status=200, answer=oa.VERSIONS))
def versions(request: Request) -> Response:
    base = app_url(request)
    return json_response(
        {
            "name": "OpenStack Magnum API",
            "description": "Magnum is an OpenStack project which aims to provide container "
            "cluster management. (Served by Dockyard.)",
            "versions": [
                {
                    "id": "v1",
                    "status": "CURRENT",
                    "min_version": str(microversions.MIN_VERSION),
                    "max_version": str(microversions.MAX_VERSION),
                    "links": [{"href": f"{base}/v1/", "rel": "self"}],
                }
            ],
        }
    )


@router.get("/v1", **oa.doc(status=200, answer=oa.V1))
@router.get("/v1/", include_in_schema=False)
def v1(request: Request) -> Response:
    base = app_url(request)
    body: dict[str, object] = {
        "id": "v1",
        "media_types": [
            {"base": "application/json", "type": "application/vnd.openstack.magnum.v1+json"}
        ],
        "links": [
            {"href": f"{base}/v1/", "rel": "self"},
            {
                "href": "http://docs.openstack.org/developer/magnum/dev/api-spec-v1.html",
                "rel": "describedby",
                "type": "text/html",
            },
        ],
    }
    for name in _V1_COLLECTIONS:
        body[name] = [
            {"href": f"{base}/v1/{name}/", "rel": "self"},
            {"href": f"{base}/{name}/", "rel": "bookmark"},
        ]
    body["nodegroups"] = [
        {"href": f"{base}/v1/clusters/{{cluster_id}}/nodegroups", "rel": "self"},
        {"href": f"{base}/clusters/{{cluster_id}}/nodegroups", "rel": "bookmark"},
    ]
    return json_response(body)


@router.get("/healthcheck", **oa.doc(answer=oa.HEALTH, media_type="text/plain"))
def healthcheck() -> Response:
    return Response("OK", media_type="text/plain")
