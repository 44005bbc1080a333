"""/v1/clusters/{cluster}/nodegroups (read-only for now: list and show)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dockyard.api import microversions
from dockyard.api.deps import PAGE_ARGS, ContextDep, RuntimeDep, VersionDep, page_from, query_args
from dockyard.api.views import nodegroups as view
from dockyard.api.views.common import app_url, json_response, next_link
from dockyard.services import nodegroups as service

router = APIRouter()


@router.get("/v1/clusters/{cluster_ident}/nodegroups")
@router.get("/v1/clusters/{cluster_ident}/nodegroups/", include_in_schema=False)
def list_nodegroups(
    request: Request, cluster_ident: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    microversions.require(version, microversions.NODEGROUPS, "nodegroups")
    args = query_args(request, (*PAGE_ARGS, "role"))
    page = page_from(args, rt.conf.api.max_limit)
    cluster, rows = service.list_nodegroups(rt, ctx, cluster_ident, args.get("role"), page)
    base = app_url(request)
    body: dict[str, object] = {
        "nodegroups": [view.render(ng, cluster, base, full=False) for ng in rows]
    }
    body.update(
        next_link(
            base,
            f"clusters/{cluster.uuid}/nodegroups",
            rows,
            page.limit,
            rows[-1].uuid if rows else None,
            page.sort_key,
            page.sort_dir,
        )
    )
    return json_response(body)


@router.get("/v1/clusters/{cluster_ident}/nodegroups/{ident}")
def get_nodegroup(
    request: Request,
    cluster_ident: str,
    ident: str,
    rt: RuntimeDep,
    ctx: ContextDep,
    version: VersionDep,
) -> Response:
    microversions.require(version, microversions.NODEGROUPS, "nodegroups")
    cluster, ng = service.get(rt, ctx, cluster_ident, ident)
    return json_response(view.render(ng, cluster, app_url(request), full=True))
