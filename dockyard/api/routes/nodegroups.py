"""/v1/clusters/{cluster}/nodegroups: list, show, create, update (JSON patch) and delete."""

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
from dockyard.api.schemas import nodegroups as schema
from dockyard.api.schemas import openapi as oa
from dockyard.api.schemas import parse, patch
from dockyard.api.views import nodegroups as view
from dockyard.api.views.common import app_url, json_response, next_link, no_content
from dockyard.common import exceptions
from dockyard.domain import bounds
from dockyard.services import nodegroups as service

router = APIRouter()


def _require(version: microversions.Version) -> None:
    microversions.require(version, microversions.NODEGROUPS, "nodegroups")


@router.get(
    "/v1/clusters/{cluster_ident}/nodegroups",
    **oa.doc(
        answer=oa.collection("nodegroups", oa.NODEGROUP), query={**oa.PAGE_QUERY, "role": oa.STRING}
    ),
)
@router.get("/v1/clusters/{cluster_ident}/nodegroups/", include_in_schema=False)
def list_nodegroups(
    request: Request, cluster_ident: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    _require(version)
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


@router.get("/v1/clusters/{cluster_ident}/nodegroups/{ident}", **oa.doc(answer=oa.NODEGROUP))
def get_nodegroup(
    request: Request,
    cluster_ident: str,
    ident: str,
    rt: RuntimeDep,
    ctx: ContextDep,
    version: VersionDep,
) -> Response:
    _require(version)
    cluster, ng = service.get(rt, ctx, cluster_ident, ident)
    return json_response(view.render(ng, cluster, app_url(request), full=True))


@router.post(
    "/v1/clusters/{cluster_ident}/nodegroups",
    **oa.doc(status=202, answer=oa.NODEGROUP, body=schema.NodeGroupCreate),
)
@router.post("/v1/clusters/{cluster_ident}/nodegroups/", include_in_schema=False)
def create_nodegroup(
    request: Request,
    cluster_ident: str,
    rt: RuntimeDep,
    ctx: ContextDep,
    version: VersionDep,
    body: JsonBody,
) -> Response:
    """202 with the whole new nodegroup (CREATE_IN_PROGRESS), as Magnum answers."""
    _require(version)
    attrs = parse(schema.NodeGroupCreate, body, "nodegroup", schema.READ_ONLY)
    if attrs.node_count == 0 and version < microversions.ZERO_NODES:
        raise exceptions.NotSupported(
            "Resizing a nodegroup to zero is not supported in the provided microversion."
        )
    values = attrs.model_dump(exclude={"uuid"}, exclude_none=True, mode="json")
    cluster, ng = service.create(rt, ctx, cluster_ident, values)
    return json_response(view.render(ng, cluster, app_url(request), full=True), 202)


@router.patch(
    "/v1/clusters/{cluster_ident}/nodegroups/{ident}",
    **oa.doc(status=202, answer=oa.NODEGROUP, body=oa.JSON_PATCH),
)
def update_nodegroup(
    request: Request,
    cluster_ident: str,
    ident: str,
    rt: RuntimeDep,
    ctx: ContextDep,
    version: VersionDep,
    body: JsonBody,
) -> Response:
    """A JSON patch of min_node_count, max_node_count, node_labels or node_taints; 202 with
    the nodegroup as it will be."""
    _require(version)
    ops = patch.parse_ops(body)
    cluster, current = service.get(rt, ctx, cluster_ident, ident)
    document = view.render(current, cluster, "", full=True)
    document.pop("links", None)
    patched = patch.apply(document, ops, internal=schema.INTERNAL_PATHS)
    changes = {k: patched[k] for k in service.PATCHABLE if patched.get(k) != document.get(k)}
    for key in ("min_node_count", "max_node_count"):
        value = changes.get(key)
        if key == "min_node_count" and key in changes and value is None:
            value = changes[key] = 0  # removing the minimum resets it to Magnum's default
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise exceptions.InvalidField(
                field=key, value=value, reason="expected a non-negative integer"
            )
        reason = bounds.out_of_range(value, bounds.NODE_COUNT) if value is not None else None
        if reason:
            raise exceptions.InvalidField(field=key, value=value, reason=reason)
    if not changes:
        return json_response(view.render(current, cluster, app_url(request), full=True), 202)
    cluster, ng = service.update(rt, ctx, cluster.uuid, current.uuid, changes)
    return json_response(view.render(ng, cluster, app_url(request), full=True), 202)


@router.delete("/v1/clusters/{cluster_ident}/nodegroups/{ident}", **oa.doc(status=204))
def delete_nodegroup(
    cluster_ident: str, ident: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    _require(version)
    service.delete(rt, ctx, cluster_ident, ident)
    return no_content()
