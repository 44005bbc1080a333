"""/v1/quotas."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dockyard.api import microversions
from dockyard.api.deps import (
    PAGE_ARGS,
    ContextDep,
    JsonBody,
    RuntimeDep,
    VersionDep,
    page_from,
    query_args,
)
from dockyard.api.schemas import openapi as oa
from dockyard.api.schemas import parse
from dockyard.api.schemas.quotas import QuotaBody
from dockyard.api.views.common import app_url, json_response, next_link, no_content
from dockyard.api.views.quotas import render
from dockyard.services import quotas as service

router = APIRouter()


@router.get(
    "/v1/quotas",
    **oa.doc(
        answer=oa.collection("quotas", oa.QUOTA),
        query={**oa.INT_PAGE_QUERY, "all_tenants": oa.BOOLEAN},
    ),
)
@router.get("/v1/quotas/", include_in_schema=False)
def list_quotas(request: Request, rt: RuntimeDep, ctx: ContextDep, version: VersionDep) -> Response:
    microversions.require(version, microversions.QUOTAS, "quotas")
    args = query_args(request, (*PAGE_ARGS, "all_tenants"))
    page = page_from(args, rt.conf.api.max_limit, int_marker=True)
    all_tenants = args.get("all_tenants", "").lower() in ("true", "1", "yes")
    rows = service.list_quotas(rt, ctx, page, all_tenants)
    body: dict[str, object] = {"quotas": [render(q) for q in rows]}
    body.update(
        next_link(
            app_url(request),
            "quotas",
            rows,
            page.limit,
            rows[-1].id if rows else None,
            page.sort_key,
            page.sort_dir,
        )
    )
    return json_response(body)


@router.get("/v1/quotas/{project_id}/{resource}", **oa.doc(answer=oa.QUOTA))
def get_quota(
    project_id: str, resource: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    microversions.require(version, microversions.QUOTAS, "quotas")
    return json_response(render(service.get(rt, ctx, project_id, resource)))


@router.post("/v1/quotas", **oa.doc(status=201, answer=oa.QUOTA, body=QuotaBody))
@router.post("/v1/quotas/", include_in_schema=False)
def create_quota(rt: RuntimeDep, ctx: ContextDep, version: VersionDep, body: JsonBody) -> Response:
    microversions.require(version, microversions.QUOTAS, "quotas")
    quota = parse(QuotaBody, body, "quota")
    return json_response(
        render(service.create(rt, ctx, quota.project_id, quota.resource, quota.hard_limit)), 201
    )


@router.patch(
    "/v1/quotas/{project_id}/{resource}", **oa.doc(status=202, answer=oa.QUOTA, body=QuotaBody)
)
def update_quota(
    project_id: str,
    resource: str,
    rt: RuntimeDep,
    ctx: ContextDep,
    version: VersionDep,
    body: JsonBody,
) -> Response:
    microversions.require(version, microversions.QUOTAS, "quotas")
    quota = parse(QuotaBody, body, "quota")
    return json_response(
        render(service.update(rt, ctx, project_id, resource, quota.hard_limit)), 202
    )


@router.delete("/v1/quotas/{project_id}/{resource}", **oa.doc(status=204))
def delete_quota(
    project_id: str, resource: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    microversions.require(version, microversions.QUOTAS, "quotas")
    service.delete(rt, ctx, project_id, resource)
    return no_content()
