"""/v1/mservices: Dockyard processes and whether they are up."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from dockyard.api.deps import ContextDep, RuntimeDep
from dockyard.api.schemas import openapi as oa
from dockyard.api.views.common import json_response, timestamp
from dockyard.services import mservices as service

router = APIRouter()


@router.get("/v1/mservices", **oa.doc(answer=oa.MSERVICES))
@router.get("/v1/mservices/", include_in_schema=False)
def list_services(rt: RuntimeDep, ctx: ContextDep) -> Response:
    items = [
        {
            "id": s.service.id,
            "host": s.service.host,
            "binary": s.binary,
            "dockyard_binary": s.service.binary,
            "state": s.state,
            "report_count": s.service.report_count,
            "disabled": s.service.disabled,
            "disabled_reason": s.service.disabled_reason,
            "created_at": timestamp(s.service.created_at),
            "updated_at": timestamp(s.service.updated_at),
        }
        for s in service.list_services(rt, ctx)
    ]
    return json_response({"mservices": items})
