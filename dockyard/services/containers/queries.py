"""Reading containers: show, list and logs, each after a sync with the engine."""

from __future__ import annotations

from typing import Any

from dockyard.common.context import RequestContext
from dockyard.db.models import Container
from dockyard.db.repositories import containers as repo
from dockyard.db.repositories.pagination import Page
from dockyard.services.containers import cluster_engine, engine
from dockyard.services.containers.sync import sync
from dockyard.services.runtime import Runtime

LOG_TAIL_MAX = 10_000


def scope(ctx: RequestContext) -> str | None:
    """The project a caller sees (None: every project, for an admin)."""
    return None if ctx.is_admin else ctx.project_id


def load(rt: Runtime, ctx: RequestContext, ident: str, rule: str) -> Container:
    """The container `ident` if `rule` allows the caller, synced with the engine."""
    with rt.db.read() as session:
        row = repo.get(session, ident, scope(ctx))
    rt.policy.authorize(ctx, rule, {"project_id": row.project_id, "user_id": row.user_id})
    if not sync(rt, [row.uuid]):
        return row
    with rt.db.read() as session:
        return repo.get(session, row.uuid, None)


def get(rt: Runtime, ctx: RequestContext, ident: str) -> Container:
    """One container by uuid or name, with the engine's current status."""
    return load(rt, ctx, ident, "container:get")


def list_containers(rt: Runtime, ctx: RequestContext, page: Page) -> list[Any]:
    """The project's containers (every project's, for an admin), synced with the engine."""
    rt.policy.authorize(ctx, "container:get_all", {"project_id": ctx.project_id})
    project = scope(ctx)
    if project is None:
        rt.policy.authorize(ctx, "container:get_all_all_projects")
    with rt.db.read() as session:
        rows = repo.list_page(session, project, page)
    if not sync(rt, [r.uuid for r in rows]):
        return rows
    with rt.db.read() as session:
        return repo.list_page(session, project, page)


def logs(rt: Runtime, ctx: RequestContext, ident: str, tail: int | None) -> str:
    """The container's stdout and stderr as the engine kept them (the last `tail` lines)."""
    row = load(rt, ctx, ident, "container:logs")
    if row.cluster_id:
        return cluster_engine.logs(rt, row, tail)
    return engine.logs(rt, row.name, row.uuid, tail)
