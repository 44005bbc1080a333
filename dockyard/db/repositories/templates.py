"""Cluster template queries and the visibility rule (own project + public, admin sees all)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from dockyard.common import exceptions
from dockyard.db.models import Cluster, ClusterTemplate
from dockyard.db.repositories.lookup import by_uuid_or_name
from dockyard.db.repositories.pagination import Page, columns_of, paginate


def visible_to(project_id: str | None) -> ColumnElement[bool] | None:
    """Filter for templates a project may see; None (admin) sees everything."""
    if project_id is None:
        return None
    return or_(
        ClusterTemplate.project_id == project_id,
        and_(ClusterTemplate.public.is_(True), ClusterTemplate.hidden.is_(False)),
    )


def get(session: Session, ident: str, project_id: str | None) -> ClusterTemplate:
    row: ClusterTemplate = by_uuid_or_name(
        session,
        ClusterTemplate,
        ident,
        visible_to(project_id),
        exceptions.ClusterTemplateNotFound(clustertemplate=ident),
        "clustertemplates",
    )
    return row


def find(session: Session, template_uuid: str) -> ClusterTemplate | None:
    return session.scalars(
        select(ClusterTemplate).where(ClusterTemplate.uuid == template_uuid)
    ).first()


def lock_for_use(session: Session, template_uuid: str) -> ClusterTemplate:
    """Share-lock the template a new or upgraded cluster will use, until the transaction ends.

    A delete or change of the template (`lock_for_change`) waits for it, then sees the new
    cluster; if the template went first, this answers 404.
    """
    row = session.scalars(
        select(ClusterTemplate)
        .where(ClusterTemplate.uuid == template_uuid)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise exceptions.ClusterTemplateNotFound(clustertemplate=template_uuid)
    return row


def lock_for_change(session: Session, template_uuid: str) -> ClusterTemplate:
    """Lock the template for an update or delete (read-modify-write), until the transaction
    ends; the row is read again so the change applies to the latest version."""
    row = session.scalars(
        select(ClusterTemplate)
        .where(ClusterTemplate.uuid == template_uuid)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise exceptions.ClusterTemplateNotFound(clustertemplate=template_uuid)
    return row


def list_page(session: Session, project_id: str | None, page: Page) -> list[Any]:
    query = columns_of(ClusterTemplate)
    where = visible_to(project_id)
    if where is not None:
        query = query.where(where)
    return paginate(session, query, ClusterTemplate, page)


def add(session: Session, values: dict[str, Any]) -> ClusterTemplate:
    row = ClusterTemplate(**values)
    session.add(row)
    session.flush()
    return row


def delete(session: Session, row: ClusterTemplate) -> None:
    session.delete(row)
    session.flush()


def is_referenced(session: Session, template_uuid: str) -> bool:
    """True when any cluster uses the template."""
    count = session.scalar(
        select(func.count())
        .select_from(Cluster)
        .where(Cluster.cluster_template_id == template_uuid)
    )
    return bool(count)


def referencing_clusters(session: Session, template_uuid: str) -> list[tuple[str, str]]:
    """(name, project_id) of every cluster that uses the template, by name."""
    rows = session.execute(
        select(Cluster.name, Cluster.project_id)
        .where(Cluster.cluster_template_id == template_uuid)
        .order_by(Cluster.name)
    )
    return [(str(name), str(project)) for name, project in rows]
