"""/v1/volumes: a Dockyard extension (Magnum has no volumes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from dockyard.api.deps import PAGE_ARGS, ContextDep, JsonBody, RuntimeDep, page_from, query_args
from dockyard.api.schemas import openapi as oa
from dockyard.api.schemas import parse, patch
from dockyard.api.schemas import volumes as schema
from dockyard.api.views import volumes as view
from dockyard.api.views.common import app_url, json_response, next_link, no_content
from dockyard.services import volumes as service

router = APIRouter()
COLLECTION = "volumes"
_INTERNAL = frozenset(f"/{key}" for key in (*schema.READ_ONLY, "volume_driver", "options"))


def _detail(request: Request, rt: RuntimeDep, volume: Any) -> dict[str, Any]:
    return view.render_detail(
        volume,
        app_url(request),
        service.attachments_of(rt, volume.uuid),
        service.usage_of(rt, volume),
    )


@router.get(
    "/v1/volumes", **oa.doc(answer=oa.collection(COLLECTION, oa.VOLUME), query=oa.PAGE_QUERY)
)
@router.get("/v1/volumes/", include_in_schema=False)
async def list_volumes(request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    args = query_args(request, PAGE_ARGS)
    page = page_from(args, rt.conf.api.max_limit)
    rows = service.list_volumes(rt, ctx, page)
    base = app_url(request)
    body: dict[str, Any] = {COLLECTION: [view.render(row, base) for row in rows]}
    marker = rows[-1].uuid if rows else None
    body.update(next_link(base, COLLECTION, rows, page.limit, marker, page.sort_key, page.sort_dir))
    return json_response(body)


@router.post("/v1/volumes", **oa.doc(status=201, answer=oa.VOLUME, body=schema.VolumeCreate))
@router.post("/v1/volumes/", include_in_schema=False)
def create_volume(request: Request, rt: RuntimeDep, ctx: ContextDep, body: JsonBody) -> Response:
    attrs = parse(schema.VolumeCreate, body, "volume", schema.READ_ONLY)
    volume = service.create(
        rt, ctx, size=attrs.size, name=attrs.name, volume_driver=attrs.volume_driver,
        options=attrs.options,
    )  # fmt: skip
    base = app_url(request)
    return json_response(
        _detail(request, rt, volume), 201, {"Location": f"{base}/v1/{COLLECTION}/{volume.uuid}"}
    )


@router.get("/v1/volumes/{ident}", **oa.doc(answer=oa.VOLUME))
def get_volume(request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    query_args(request, ())
    return json_response(_detail(request, rt, service.get(rt, ctx, ident)))


@router.patch("/v1/volumes/{ident}", **oa.doc(answer=oa.VOLUME, body=oa.JSON_PATCH))
def update_volume(
    request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep, body: JsonBody
) -> Response:
    ops = patch.parse_ops(body)
    current = service.get(rt, ctx, ident)
    document = view.patchable(current)
    patched = patch.apply(
        document, ops, internal=_INTERNAL, not_removable=frozenset({"/name", "/size"})
    )
    changes = parse(schema.VolumeChanges, patched, "volume")
    volume = service.update(
        rt,
        ctx,
        current.uuid,
        name=changes.name if changes.name != current.name else None,
        size=changes.size if changes.size != current.size else None,
    )
    return json_response(_detail(request, rt, volume))


@router.delete("/v1/volumes/{ident}", **oa.doc(status=204))
def delete_volume(ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    service.delete(rt, ctx, ident)
    return no_content()
