"""/v1/stats."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dockyard.api import microversions
from dockyard.api.deps import ContextDep, RuntimeDep, VersionDep, query_args
from dockyard.api.schemas import openapi as oa
from dockyard.api.views.common import json_response
from dockyard.common import exceptions
from dockyard.services import stats as service

router = APIRouter()


@router.get(
    "/v1/stats", **oa.doc(answer=oa.STATS, query={"project_id": oa.STRING, "type": oa.STRING})
)
@router.get("/v1/stats/", include_in_schema=False)
def get_stats(request: Request, rt: RuntimeDep, ctx: ContextDep, version: VersionDep) -> Response:
    microversions.require(version, microversions.STATS, "stats")
    args = query_args(request, ("project_id", "type"))
    if args.get("type", "cluster") != "cluster":
        raise exceptions.Invalid("Invalid stats type. Allowed values are 'cluster'")
    clusters, nodes = service.get(rt, ctx, args.get("project_id"))
    return json_response({"clusters": clusters, "nodes": nodes})
