"""Quota rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dockyard.common import exceptions
from dockyard.db.models import Quota
from dockyard.db.repositories.pagination import Page, columns_of, paginate


def find(session: Session, project_id: str, resource: str) -> Quota | None:
    return session.scalars(
        select(Quota).where(Quota.project_id == project_id, Quota.resource == resource)
    ).first()


def list_page(session: Session, project_id: str | None, page: Page) -> list[Any]:
    query = columns_of(Quota)
    if project_id is not None:
        query = query.where(Quota.project_id == project_id)
    return paginate(session, query, Quota, page, marker_column="id")


def add(session: Session, project_id: str, resource: str, hard_limit: int) -> Quota:
    row = Quota(project_id=project_id, resource=resource, hard_limit=hard_limit)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise exceptions.QuotaAlreadyExists(project_id=project_id, resource=resource) from exc
    return row


def delete(session: Session, row: Quota) -> None:
    session.delete(row)
    session.flush()
