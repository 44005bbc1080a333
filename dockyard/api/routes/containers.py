"""/v1/containers: containers on Dockyard's container host (Dockyard extension, after Zun).

Every call is synchronous: create answers 201 with the container's final status (Running,
Created, or Error with the engine's reason), start and stop answer with the new status.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dockyard.api.deps import PAGE_ARGS, ContextDep, JsonBody, RuntimeDep, page_from, query_args
from dockyard.api.schemas import openapi as oa
from dockyard.api.schemas import parse
from dockyard.api.schemas.containers import ContainerCreate
from dockyard.api.views.common import app_url, json_response, next_link, no_content
from dockyard.api.views.containers import render
from dockyard.common import exceptions
from dockyard.services import containers as service

router = APIRouter()

_TRUE = ("true", "1", "yes")


@router.post("/v1/containers", **oa.doc(status=201, answer=oa.CONTAINER, body=ContainerCreate))
@router.post("/v1/containers/", include_in_schema=False)
def create_container(request: Request, rt: RuntimeDep, ctx: ContextDep, body: JsonBody) -> Response:
    parsed = parse(ContainerCreate, body, "container")
    row = service.create(rt, ctx, parsed.model_dump(exclude_unset=False))
    return json_response(render(row, app_url(request)), 201)


@router.get(
    "/v1/containers",
    **oa.doc(answer=oa.collection("containers", oa.CONTAINER), query=oa.PAGE_QUERY),
)
@router.get("/v1/containers/", include_in_schema=False)
def list_containers(request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    args = query_args(request, PAGE_ARGS)
    page = page_from(args, rt.conf.api.max_limit)
    rows = service.list_containers(rt, ctx, page)
    base = app_url(request)
    body: dict[str, object] = {"containers": [render(r, base) for r in rows]}
    marker = rows[-1].uuid if rows else None
    body.update(
        next_link(base, "containers", rows, page.limit, marker, page.sort_key, page.sort_dir)
    )
    return json_response(body)


@router.get("/v1/containers/{ident}", **oa.doc(answer=oa.CONTAINER))
def get_container(ident: str, request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    return json_response(render(service.get(rt, ctx, ident), app_url(request)))


@router.post("/v1/containers/{ident}/start", **oa.doc(answer=oa.CONTAINER))
def start_container(ident: str, request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    return json_response(render(service.start(rt, ctx, ident), app_url(request)))


@router.post("/v1/containers/{ident}/stop", **oa.doc(answer=oa.CONTAINER))
def stop_container(ident: str, request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    return json_response(render(service.stop(rt, ctx, ident), app_url(request)))


@router.get("/v1/containers/{ident}/logs", **oa.doc(answer=oa.LOGS, query={"tail": oa.INTEGER}))
def container_logs(ident: str, request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    args = query_args(request, ("tail",))
    tail: int | None = None
    if "tail" in args:
        value = args["tail"]
        if not value.isdigit():
            raise exceptions.InvalidField(
                field="tail", value=value, reason="a number of lines (0 or more)"
            )
        tail = min(int(value), service.LOG_TAIL_MAX)
    return json_response({"logs": service.logs(rt, ctx, ident, tail)})


@router.delete("/v1/containers/{ident}", **oa.doc(status=204, query={"force": oa.BOOLEAN}))
def delete_container(ident: str, request: Request, rt: RuntimeDep, ctx: ContextDep) -> Response:
    args = query_args(request, ("force",))
    force = args.get("force", "false").lower()
    if force not in (*_TRUE, "false", "0", "no"):
        raise exceptions.InvalidField(field="force", value=force, reason="true or false")
    service.delete(rt, ctx, ident, force in _TRUE)
    return no_content()
