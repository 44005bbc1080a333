"""/v1/clustertemplates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from dockyard.api.deps import PAGE_ARGS, ContextDep, JsonBody, RuntimeDep, page_from, query_args
from dockyard.api.schemas import clustertemplates as schema
from dockyard.api.schemas import openapi as oa
from dockyard.api.schemas import parse, patch
from dockyard.api.views import clustertemplates as view
from dockyard.api.views.common import app_url, json_response, next_link, no_content
from dockyard.db.models import ClusterTemplate
from dockyard.services import cluster_templates as service

router = APIRouter()
COLLECTION = "clustertemplates"


def list_response(
    request: Request, rt: RuntimeDep, ctx: ContextDep, collection: str, path: str
) -> Response:
    args = query_args(request, PAGE_ARGS)
    page = page_from(args, rt.conf.api.max_limit)
    rows = service.list_templates(rt, ctx, page)
    base = app_url(request)
    body: dict[str, Any] = {collection: [view.render_listed(t, base, collection) for t in rows]}
    body.update(
        next_link(
            base,
            path,
            rows,
            page.limit,
            rows[-1].uuid if rows else None,
            page.sort_key,
            page.sort_dir,
        )
    )
    return json_response(body)


@router.get(
    "/v1/clustertemplates",
    **oa.doc(answer=oa.collection(COLLECTION, oa.TEMPLATE), query=oa.PAGE_QUERY),
)
@router.get("/v1/clustertemplates/", include_in_schema=False)
async def list_templates(request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    return list_response(request, rt, ctx, COLLECTION, COLLECTION)


@router.get(
    "/v1/clustertemplates/detail",
    **oa.doc(answer=oa.collection(COLLECTION, oa.TEMPLATE), query=oa.PAGE_QUERY),
)
async def list_templates_detail(request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    return list_response(request, rt, ctx, COLLECTION, f"{COLLECTION}/detail")


def create_response(
    request: Request, rt: RuntimeDep, ctx: ContextDep, body: object, collection: str, resource: str
) -> Response:
    attrs = parse(schema.ClusterTemplateAttributes, body, resource, schema.READ_ONLY)
    template = service.create(rt, ctx, attrs.model_dump(exclude_none=True, mode="json"))
    base = app_url(request)
    return json_response(
        view.render(template, base, collection),
        201,
        {"Location": f"{base}/v1/{collection}/{template.uuid}"},
    )


@router.post(
    "/v1/clustertemplates",
    **oa.doc(status=201, answer=oa.TEMPLATE, body=schema.ClusterTemplateAttributes),
)
@router.post("/v1/clustertemplates/", include_in_schema=False)
def create_template(request: Request, rt: RuntimeDep, ctx: ContextDep, body: JsonBody) -> Response:
    return create_response(request, rt, ctx, body, COLLECTION, "cluster_template")


@router.get("/v1/clustertemplates/{ident}", **oa.doc(answer=oa.TEMPLATE))
async def get_template(request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    query_args(request, ())
    return json_response(view.render(service.get(rt, ctx, ident), app_url(request)))


def patch_response(
    request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep, body: object, collection: str
) -> Response:
    ops = patch.parse_ops(body)

    def changes_of(current: ClusterTemplate) -> dict[str, Any]:
        # Runs inside the service's transaction, on the locked current template.
        document = view.patchable(current)
        patched = patch.apply(
            document, ops, internal=schema.INTERNAL_PATHS, not_removable=schema.NOT_REMOVABLE
        )
        attrs = parse(schema.ClusterTemplateAttributes, patched, "cluster_template")
        new_values = attrs.model_dump(mode="json")
        return {
            k: v
            for k, v in new_values.items()
            if k in document and v != document[k] and k != "uuid"
        }

    template = service.update(rt, ctx, ident, changes_of)
    return json_response(view.render(template, app_url(request), collection))


@router.patch("/v1/clustertemplates/{ident}", **oa.doc(answer=oa.TEMPLATE, body=oa.JSON_PATCH))
def update_template(
    request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep, body: JsonBody
) -> Response:
    return patch_response(request, ident, rt, ctx, body, COLLECTION)


@router.delete("/v1/clustertemplates/{ident}", **oa.doc(status=204))
def delete_template(ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    service.delete(rt, ctx, ident)
    return no_content()
