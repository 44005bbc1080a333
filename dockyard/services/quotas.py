"""Quotas: per-project limits of clusters (`Cluster`, as in Magnum) and of their nodes (`Node`).
They are enforced by `cluster_quotas`."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Quota
from dockyard.db.repositories import quotas as repo
from dockyard.db.repositories.pagination import Page
from dockyard.services import cluster_quotas
from dockyard.services.runtime import Runtime


@dataclass(frozen=True, slots=True)
class DefaultQuota:
    """What GET answers for a project without a row: the configured default limit."""

    project_id: str
    resource: str
    hard_limit: int


def _not_found(project_id: str, resource: str) -> exceptions.QuotaNotFound:
    return exceptions.QuotaNotFound(msg=f"project_id {project_id} resource {resource}.")


def list_quotas(rt: Runtime, ctx: RequestContext, page: Page, all_tenants: bool) -> list[Quota]:
    rt.policy.authorize(ctx, "quota:get_all")
    with rt.db.read() as session:
        return repo.list_page(session, None if all_tenants else ctx.project_id, page)


def get(rt: Runtime, ctx: RequestContext, project_id: str, resource: str) -> Quota | DefaultQuota:
    rt.policy.authorize(ctx, "quota:get", {"project_id": project_id})
    if not ctx.is_admin and project_id != ctx.project_id:
        raise exceptions.NotAuthorized()
    with rt.db.read() as session:
        row = repo.find(session, project_id, resource)
    if row is None:
        return DefaultQuota(project_id, resource, cluster_quotas.default_limit(rt, resource))
    return row


def create(
    rt: Runtime, ctx: RequestContext, project_id: str, resource: str, hard_limit: int
) -> Quota:
    rt.policy.authorize(ctx, "quota:create")
    with rt.db.write() as session:
        return repo.add(session, project_id, resource, hard_limit)


def update(
    rt: Runtime, ctx: RequestContext, project_id: str, resource: str, hard_limit: int
) -> Quota:
    rt.policy.authorize(ctx, "quota:update")
    with rt.db.write() as session:
        row = repo.find(session, project_id, resource)
        if row is None:
            raise _not_found(project_id, resource)
        row.hard_limit = hard_limit
        session.flush()
        return row


def delete(rt: Runtime, ctx: RequestContext, project_id: str, resource: str) -> None:
    rt.policy.authorize(ctx, "quota:delete")
    with rt.db.write() as session:
        row = repo.find(session, project_id, resource)
        if row is None:
            raise _not_found(project_id, resource)
        repo.delete(session, row)
