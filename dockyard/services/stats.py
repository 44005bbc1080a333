"""Usage statistics: cluster and node counts."""

from __future__ import annotations

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.repositories import clusters as cluster_repo
from dockyard.services.runtime import Runtime


def get(rt: Runtime, ctx: RequestContext, project_id: str | None) -> tuple[int, int]:
    """(clusters, nodes) for `project_id`, or for everything when an admin names none."""
    rt.policy.authorize(ctx, "stats:get_all", {"project_id": project_id or ctx.project_id})
    if project_id is None:
        project_id = None if ctx.is_admin else ctx.project_id
    elif not ctx.is_admin and project_id != ctx.project_id:
        raise exceptions.NotAuthorized()
    with rt.db.read() as session:
        return cluster_repo.stats(session, project_id)
