"""/v1/clusters, its actions (resize, upgrade) and its event timeline."""

from __future__ import annotations

from typing import Any

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
from dockyard.api.schemas import clusters as schema
from dockyard.api.schemas import openapi as oa
from dockyard.api.schemas import parse, patch
from dockyard.api.views import clusters as view
from dockyard.api.views import events as event_view
from dockyard.api.views.common import app_url, json_response, next_link, no_content
from dockyard.common import exceptions
from dockyard.domain import bounds
from dockyard.domain.status import OperationKind
from dockyard.services import clusters as service

router = APIRouter()
COLLECTION = "clusters"


def list_response(
    request: Request,
    rt: RuntimeDep,
    ctx: ContextDep,
    version: VersionDep,
    *,
    detail: bool,
    collection: str = COLLECTION,
    render: Any = None,
) -> Response:
    args = query_args(request, PAGE_ARGS)
    page = page_from(args, rt.conf.api.max_limit)
    rows = service.list_clusters(rt, ctx, page, detail=detail)
    base = app_url(request)
    if render is None and not detail:
        items = [view.render_summary(v, base, version, collection=collection) for v in rows]
    else:
        items = [
            (render or view.render)(v, base, version, full=detail, collection=collection)
            for v in rows
        ]
    body: dict[str, Any] = {collection: items}
    path = f"{collection}/detail" if detail else collection
    marker = rows[-1].cluster.uuid if rows else None
    body.update(next_link(base, path, rows, page.limit, marker, page.sort_key, page.sort_dir))
    return json_response(body)


@router.get(
    "/v1/clusters", **oa.doc(answer=oa.collection(COLLECTION, oa.CLUSTER), query=oa.PAGE_QUERY)
)
@router.get("/v1/clusters/", include_in_schema=False)
async def list_clusters(
    request: Request, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    return list_response(request, rt, ctx, version, detail=False)


@router.get(
    "/v1/clusters/detail",
    **oa.doc(answer=oa.collection(COLLECTION, oa.CLUSTER), query=oa.PAGE_QUERY),
)
async def list_clusters_detail(
    request: Request, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    return list_response(request, rt, ctx, version, detail=True)


def create_cluster_uuid(
    rt: RuntimeDep,
    ctx: ContextDep,
    version: VersionDep,
    body: dict[str, Any],
    unversioned: bool = False,
) -> str:
    """Validate a create body (cluster or bay, already renamed) and queue the cluster.

    `unversioned`: the request named no microversion. node_count 0 is then accepted on
    create (magnum-tempest-plugin's zero-node test sends no header); a client that asks for a
    version below 1.10 still gets Magnum's 400 (docs/api.md)."""
    attrs = parse(schema.ClusterCreate, body, "cluster", schema.READ_ONLY)
    if attrs.node_count == 0 and version < microversions.ZERO_NODES and not unversioned:
        raise exceptions.NotSupported(
            "Resizing a nodegroup to zero is not supported in the provided microversion."
        )
    try:
        return service.create(rt, ctx, attrs.model_dump(exclude_none=True, mode="json"))
    except exceptions.ClusterTemplateNotFound as exc:
        if version < microversions.ZERO_NODES:
            raise exceptions.Invalid(str(exc)) from None
        raise


@router.post("/v1/clusters", **oa.doc(status=202, answer=oa.UUID_ANSWER, body=schema.ClusterCreate))
@router.post("/v1/clusters/", include_in_schema=False)
def create_cluster(
    request: Request, rt: RuntimeDep, ctx: ContextDep, version: VersionDep, body: JsonBody
) -> Response:
    if not isinstance(body, dict):
        raise exceptions.Invalid("Invalid input for cluster: expected a JSON object.")
    unversioned = microversions.HEADER.lower() not in request.headers
    uuid = create_cluster_uuid(rt, ctx, version, body, unversioned)
    return json_response({"uuid": uuid}, 202)


@router.get("/v1/clusters/{ident}", **oa.doc(answer=oa.CLUSTER))
async def get_cluster(
    request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    query_args(request, ())
    cluster = service.get(rt, ctx, ident, with_template=True)
    return json_response(
        view.render(cluster, app_url(request), version, full=True, with_faults=True)
    )


def patch_cluster_uuid(
    request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep, body: Any
) -> str:
    """Apply a cluster JSON patch: only node_count (an operation) or health fields change."""
    args = query_args(request, ("rollback",))
    rollback = False
    if "rollback" in args:
        microversions.require(version, microversions.ROLLBACK, "rollback")
        rollback = args["rollback"].lower() in ("true", "1", "yes")
    ops = patch.parse_ops(body)
    current = service.get(rt, ctx, ident)
    document = view.render(current, "", version, full=True)
    document.pop("links", None)
    patched = patch.apply(document, ops, internal=schema.INTERNAL_PATHS)
    changed = {k for k in document if patched.get(k) != document.get(k)}
    refused = sorted(changed - schema.PATCHABLE)
    if refused:
        raise exceptions.Invalid(f"cannot change cluster property(ies) {', '.join(refused)}.")
    cluster_uuid = current.cluster.uuid
    if {"health_status", "health_status_reason"} & changed:
        health: dict[str, Any] = {
            k: patched[k] for k in ("health_status", "health_status_reason") if k in changed
        }
        _check_health(health)
        service.update_health(rt, ctx, cluster_uuid, health)
    if "node_count" in changed:
        node_count = patched["node_count"]
        if node_count is None:  # remove /node_count resets it to the default, 1 (seed table)
            node_count = 1
        if not isinstance(node_count, int) or isinstance(node_count, bool):
            raise exceptions.InvalidField(
                field="node_count", value=node_count, reason="expected a non-negative integer"
            )
        reason = bounds.out_of_range(node_count, bounds.NODE_COUNT)
        if reason:
            raise exceptions.InvalidField(field="node_count", value=node_count, reason=reason)
        if node_count == 0 and version < microversions.ZERO_NODES:
            raise exceptions.NotSupported(
                "Resizing a nodegroup to zero is not supported in the provided microversion."
            )
        service.resize(
            rt,
            ctx,
            cluster_uuid,
            node_count,
            rule="cluster:update",
            kind=OperationKind.UPDATE,
            rollback=rollback,
        )
    return cluster_uuid


def _check_health(health: dict[str, Any]) -> None:
    status = health.get("health_status")
    if "health_status" in health and status not in ("HEALTHY", "UNHEALTHY", "UNKNOWN", None):
        raise exceptions.InvalidField(
            field="health_status",
            value=status,
            reason="expected one of HEALTHY, UNHEALTHY, UNKNOWN",
        )
    reason = health.get("health_status_reason")
    if "health_status_reason" in health and not isinstance(reason, dict | None):
        raise exceptions.Invalid("health_status_reason must be an object of strings.")


@router.patch(
    "/v1/clusters/{ident}",
    **oa.doc(status=202, answer=oa.UUID_ANSWER, body=oa.JSON_PATCH, query={"rollback": oa.BOOLEAN}),
)
def update_cluster(
    request: Request,
    ident: str,
    rt: RuntimeDep,
    ctx: ContextDep,
    version: VersionDep,
    body: JsonBody,
) -> Response:
    return json_response({"uuid": patch_cluster_uuid(request, ident, rt, ctx, version, body)}, 202)


@router.delete("/v1/clusters/{ident}", **oa.doc(status=204))
def delete_cluster(ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    service.delete(rt, ctx, ident)
    return no_content()


@router.post(
    "/v1/clusters/{ident}/actions/resize",
    **oa.doc(status=202, answer=oa.UUID_ANSWER, body=schema.ClusterResize),
)
def resize_cluster(
    ident: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep, body: JsonBody
) -> Response:
    microversions.require(version, microversions.RESIZE, "resize")
    attrs = parse(schema.ClusterResize, body, "resize")
    if attrs.node_count == 0 and version < microversions.ZERO_NODES:
        raise exceptions.NotSupported(
            "Resizing a nodegroup to zero is not supported in the provided microversion."
        )
    cluster_uuid = service.resize(
        rt,
        ctx,
        ident,
        attrs.node_count,
        nodegroup=attrs.nodegroup,
        nodes_to_remove=attrs.nodes_to_remove,
    )
    return json_response({"uuid": cluster_uuid}, 202)


@router.post(
    "/v1/clusters/{ident}/actions/upgrade",
    **oa.doc(status=202, answer=oa.UUID_ANSWER, body=schema.ClusterUpgrade),
)
def upgrade_cluster(
    ident: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep, body: JsonBody
) -> Response:
    microversions.require(version, microversions.RESIZE, "upgrade")
    if version < microversions.UPGRADE:
        raise exceptions.Invalid("Cluster upgrade is not supported in microversion 1.7.")
    attrs = parse(schema.ClusterUpgrade, body, "upgrade")
    cluster_uuid = service.upgrade(
        rt, ctx, ident, attrs.cluster_template, attrs.max_batch_size, attrs.nodegroup
    )
    return json_response({"uuid": cluster_uuid}, 202)


@router.get(
    "/v1/clusters/{ident}/events",
    **oa.doc(answer=oa.EVENTS, query={"after": oa.INTEGER, "limit": oa.INTEGER}),
)
def cluster_events(request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    """Dockyard extension: the cluster's timeline and its operations."""
    args = query_args(request, ("after", "limit"))
    try:
        after = int(args["after"]) if "after" in args else None
        limit = min(int(args.get("limit", rt.conf.api.max_limit)), rt.conf.api.max_limit)
    except ValueError:
        raise exceptions.Invalid("after and limit must be integers") from None
    if limit <= 0:
        raise exceptions.Invalid("Limit must be positive")
    reason = bounds.out_of_range(after, bounds.ROW_ID) if after is not None else None
    if reason:
        raise exceptions.InvalidField(field="after", value=after, reason=reason)
    cluster, timeline = service.timeline(rt, ctx, ident, after, limit)
    return json_response(
        {
            "cluster_uuid": cluster.uuid,
            "status": cluster.status,
            "status_reason": cluster.status_reason,
            "events": [event_view.render_event(e) for e in timeline.events],
            "operations": [event_view.render_operation(o) for o in timeline.operations],
        }
    )
