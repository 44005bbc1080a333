"""Dockyard extensions for clients that build menus: `GET /v1/capabilities` (what the caller
may do) and `GET /v1/images` (the image catalog templates may name). docs/api.md."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from dockyard.api.deps import ContextDep, RuntimeDep
from dockyard.api.schemas import openapi as oa
from dockyard.api.views.common import json_response
from dockyard.services import capabilities as service
from dockyard.services import images as image_service

router = APIRouter()


@router.get("/v1/capabilities", **oa.doc(answer=oa.CAPABILITIES))
@router.get("/v1/capabilities/", include_in_schema=False)
def get_capabilities(rt: RuntimeDep, ctx: ContextDep) -> Response:
    return json_response(service.describe(rt, ctx))


@router.get("/v1/images", **oa.doc(answer=oa.IMAGES))
@router.get("/v1/images/", include_in_schema=False)
def list_images(rt: RuntimeDep, ctx: ContextDep) -> Response:
    images = image_service.list_images(rt, ctx)
    if images is None:
        return json_response(
            {
                "images": [],
                "listed": False,
                "reason": "Images are looked up in Glance ([openstack] lookups); "
                "Dockyard does not list them. Give an image name or ID.",
            }
        )
    return json_response(
        {
            "images": [
                {
                    "id": i.id,
                    "name": i.name,
                    "os_distro": i.os_distro,
                    "description": i.properties.get("description", ""),
                }
                for i in images
            ],
            "listed": True,
        }
    )
