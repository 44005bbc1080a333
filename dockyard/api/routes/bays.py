"""/v1/bays: the legacy name of clusters (seed `bay-*` commands).

Field names differ (baymodel_id, bay_create_timeout, bay_faults). At microversion 1.1 create
answers 201 with the bay and update 200 with the bay; from 1.2 both are 202 `{"uuid"}`.
Magnum removed bays at 1.11; Dockyard serves them at every version.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from dockyard.api import microversions
from dockyard.api.deps import ContextDep, JsonBody, RuntimeDep, VersionDep, query_args
from dockyard.api.microversions import Version
from dockyard.api.routes import clusters
from dockyard.api.schemas import openapi as oa
from dockyard.api.views import clusters as view
from dockyard.api.views.common import app_url, json_response, no_content
from dockyard.common import exceptions
from dockyard.services import clusters as service
from dockyard.services.clusters import ClusterView

router = APIRouter()
COLLECTION = "bays"
_TO_BAY = {
    "cluster_template_id": "baymodel_id",
    "create_timeout": "bay_create_timeout",
    "faults": "bay_faults",
}


def render_bay(
    cluster: ClusterView,
    base: str,
    version: Version,
    *,
    full: bool,
    with_faults: bool = False,
    collection: str = COLLECTION,
) -> dict[str, Any]:
    body = view.render(
        cluster,
        base,
        min(version, microversions.BAY_VIEW),
        full=full,
        with_faults=with_faults,
        collection=COLLECTION,
    )
    return {_TO_BAY.get(k, k): v for k, v in body.items()}


def _from_bay(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise exceptions.Invalid("Invalid input for bay: expected a JSON object.")
    renamed: dict[str, str] = {v: k for k, v in _TO_BAY.items() if v}
    for cluster_name in _TO_BAY:
        if cluster_name in body:
            raise exceptions.Invalid(f"Unknown attribute for argument bay: {cluster_name}")
    return {renamed.get(str(k), str(k)): v for k, v in body.items()}


@router.get("/v1/bays", **oa.doc(answer=oa.collection(COLLECTION, oa.BAY), query=oa.PAGE_QUERY))
@router.get("/v1/bays/", include_in_schema=False)
def list_bays(request: Request, rt: RuntimeDep, ctx: ContextDep, version: VersionDep) -> Response:
    return clusters.list_response(
        request, rt, ctx, version, detail=False, collection=COLLECTION, render=render_bay
    )


@router.get(
    "/v1/bays/detail", **oa.doc(answer=oa.collection(COLLECTION, oa.BAY), query=oa.PAGE_QUERY)
)
def list_bays_detail(
    request: Request, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    return clusters.list_response(
        request, rt, ctx, version, detail=True, collection=COLLECTION, render=render_bay
    )


@router.post(
    "/v1/bays", **oa.doc(status=201, answer=oa.BAY, body=oa.BAY_CREATE, also={202: oa.UUID_ANSWER})
)
@router.post("/v1/bays/", include_in_schema=False)
def create_bay(
    request: Request, rt: RuntimeDep, ctx: ContextDep, version: VersionDep, body: JsonBody
) -> Response:
    values = _from_bay(body)
    if values.get("node_count") == 0:
        raise exceptions.InvalidField(field="node_count", value=0, reason="a bay needs nodes")
    bay_uuid = clusters.create_cluster_uuid(rt, ctx, version, values)
    return _bay_answer(request, rt, ctx, version, bay_uuid, 201)


def _bay_answer(
    request: Request,
    rt: RuntimeDep,
    ctx: ContextDep,
    version: Version,
    bay_uuid: str,
    sync_status: int,
) -> Response:
    if version >= microversions.ASYNC_CLUSTER_OPS:
        return json_response({"uuid": bay_uuid}, 202)
    bay = service.get(rt, ctx, bay_uuid)
    return json_response(render_bay(bay, app_url(request), version, full=True), sync_status)


@router.get("/v1/bays/{ident}", **oa.doc(answer=oa.BAY))
def get_bay(
    request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    query_args(request, ())
    bay = service.get(rt, ctx, ident)
    return json_response(render_bay(bay, app_url(request), version, full=True, with_faults=True))


@router.patch(
    "/v1/bays/{ident}",
    **oa.doc(
        answer=oa.BAY,
        body=oa.JSON_PATCH,
        also={202: oa.UUID_ANSWER},
        query={"rollback": oa.BOOLEAN},
    ),
)
def update_bay(
    request: Request,
    ident: str,
    rt: RuntimeDep,
    ctx: ContextDep,
    version: VersionDep,
    body: JsonBody,
) -> Response:
    bay_uuid = clusters.patch_cluster_uuid(request, ident, rt, ctx, version, body)
    return _bay_answer(request, rt, ctx, version, bay_uuid, 200)


@router.delete("/v1/bays/{ident}", **oa.doc(status=204))
def delete_bay(ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    service.delete(rt, ctx, ident)
    return no_content()
