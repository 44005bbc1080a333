"""/v1/baymodels: the legacy name of cluster templates (seed `bay-*` commands).

Magnum removed it at microversion 1.11; Dockyard serves it at every version.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dockyard.api.deps import ContextDep, JsonBody, RuntimeDep
from dockyard.api.routes import clustertemplates as templates
from dockyard.api.schemas import openapi as oa
from dockyard.api.schemas.clustertemplates import ClusterTemplateAttributes
from dockyard.api.views import clustertemplates as view
from dockyard.api.views.common import app_url, json_response, no_content
from dockyard.services import cluster_templates as service

router = APIRouter()
COLLECTION = "baymodels"


@router.get(
    "/v1/baymodels", **oa.doc(answer=oa.collection(COLLECTION, oa.TEMPLATE), query=oa.PAGE_QUERY)
)
@router.get("/v1/baymodels/", include_in_schema=False)
def list_baymodels(request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    return templates.list_response(request, rt, ctx, COLLECTION, COLLECTION)


@router.get(
    "/v1/baymodels/detail",
    **oa.doc(answer=oa.collection(COLLECTION, oa.TEMPLATE), query=oa.PAGE_QUERY),
)
def list_baymodels_detail(request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    return templates.list_response(request, rt, ctx, COLLECTION, f"{COLLECTION}/detail")


@router.post(
    "/v1/baymodels", **oa.doc(status=201, answer=oa.TEMPLATE, body=ClusterTemplateAttributes)
)
@router.post("/v1/baymodels/", include_in_schema=False)
def create_baymodel(request: Request, rt: RuntimeDep, ctx: ContextDep, body: JsonBody) -> Response:
    return templates.create_response(request, rt, ctx, body, COLLECTION, "baymodel")


@router.get("/v1/baymodels/{ident}", **oa.doc(answer=oa.TEMPLATE))
def get_baymodel(request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    return json_response(view.render(service.get(rt, ctx, ident), app_url(request), COLLECTION))


@router.patch("/v1/baymodels/{ident}", **oa.doc(answer=oa.TEMPLATE, body=oa.JSON_PATCH))
def update_baymodel(
    request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep, body: JsonBody
) -> Response:
    return templates.patch_response(request, ident, rt, ctx, body, COLLECTION)


@router.delete("/v1/baymodels/{ident}", **oa.doc(status=204))
def delete_baymodel(ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    service.delete(rt, ctx, ident)
    return no_content()
