"""Container rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from dockyard.common import exceptions
from dockyard.db.models import Container
from dockyard.db.repositories.lookup import by_uuid_or_name
from dockyard.db.repositories.pagination import Page, columns_of, paginate
from dockyard.db.repositories.unique import unique_or


def _scope(project_id: str | None) -> ColumnElement[bool] | None:
    return None if project_id is None else Container.project_id == project_id


def get(session: Session, ident: str, project_id: str | None) -> Container:
    """The container named or numbered `ident` (in `project_id`, unless None)."""
    row: Container = by_uuid_or_name(
        session,
        Container,
        ident,
        _scope(project_id),
        exceptions.ContainerNotFound(container=ident),
        "containers",
    )
    return row


def get_for_update(session: Session, container_uuid: str) -> Container | None:
    """The row by uuid, locked for the rest of the transaction (where the database can)."""
    query = select(Container).where(Container.uuid == container_uuid)
    return session.scalars(query.with_for_update()).first()


def by_uuids(session: Session, uuids: list[str]) -> list[Container]:
    """The rows of `uuids` that exist (any project)."""
    return list(session.scalars(select(Container).where(Container.uuid.in_(uuids))))


def list_page(session: Session, project_id: str | None, page: Page) -> list[Any]:
    query = columns_of(Container)
    where = _scope(project_id)
    if where is not None:
        query = query.where(where)
    return paginate(session, query, Container, page)


def in_statuses(session: Session, statuses: frozenset[str]) -> list[Container]:
    """Every container (all projects) whose status is one of `statuses`."""
    return list(session.scalars(select(Container).where(Container.status.in_(statuses))))


def on_host(session: Session, host: str) -> list[Container]:
    """Every container (all projects) that runs on container host `host`."""
    return list(session.scalars(select(Container).where(Container.host == host)))


def add(session: Session, values: dict[str, Any]) -> Container:
    """Insert a container; a name already taken in the project is a 409."""
    row = Container(**values)
    with unique_or(session, exceptions.ContainerAlreadyExists(name=values.get("name"))):
        session.add(row)
    return row


def delete(session: Session, row: Container) -> None:
    session.delete(row)
    session.flush()


def mounting_volume(session: Session, project_id: str, volume_uuid: str) -> list[Container]:
    """The project's containers whose mounts name the volume `volume_uuid`."""
    rows = session.scalars(select(Container).where(Container.project_id == project_id))
    return [
        row
        for row in rows
        if any(m.get("type") == "volume" and m.get("source") == volume_uuid for m in row.mounts)
    ]
