"""Nodegroup reads (the default master and worker groups every cluster has)."""

from __future__ import annotations

from dockyard.common.context import RequestContext
from dockyard.db.models import Cluster, NodeGroup
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.db.repositories import nodegroups as repo
from dockyard.db.repositories.pagination import Page
from dockyard.services.runtime import Runtime


def _cluster(rt: Runtime, session: object, ctx: RequestContext, ident: str) -> Cluster:
    return cluster_repo.get(session, ident, None if ctx.is_admin else ctx.project_id)  # type: ignore[arg-type]


def list_nodegroups(
    rt: Runtime, ctx: RequestContext, cluster_ident: str, role: str | None, page: Page
) -> tuple[Cluster, list[NodeGroup]]:
    with rt.db.read() as session:
        cluster = _cluster(rt, session, ctx, cluster_ident)
        rt.policy.authorize(ctx, "nodegroup:get_all", {"project_id": cluster.project_id})
        return cluster, repo.list_page(session, cluster.uuid, role, page)


def get(
    rt: Runtime, ctx: RequestContext, cluster_ident: str, ident: str
) -> tuple[Cluster, NodeGroup]:
    with rt.db.read() as session:
        cluster = _cluster(rt, session, ctx, cluster_ident)
        rt.policy.authorize(ctx, "nodegroup:get", {"project_id": cluster.project_id})
        return cluster, repo.get(session, cluster.uuid, ident)
