"""Volume and volume attachment queries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dockyard.common import exceptions
from dockyard.db.models import Volume, VolumeAttachment
from dockyard.db.repositories.lookup import by_uuid_or_name
from dockyard.db.repositories.pagination import Page, columns_of, paginate
from dockyard.db.repositories.unique import unique_or


def get(session: Session, ident: str, project_id: str | None) -> Volume:
    """A volume by uuid or name, within `project_id` (None: any project)."""
    where = None if project_id is None else Volume.project_id == project_id
    row: Volume = by_uuid_or_name(
        session, Volume, ident, where, exceptions.VolumeNotFound(volume=ident), "volumes"
    )
    return row


def lock(session: Session, volume_uuid: str) -> Volume | None:
    """The volume by uuid, locked for the rest of the transaction (where the database can)."""
    query = select(Volume).where(Volume.uuid == volume_uuid).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()


def find_by_name(session: Session, project_id: str, name: str) -> Volume | None:
    query = select(Volume).where(Volume.project_id == project_id, Volume.name == name)
    return session.scalars(query).first()


def list_page(session: Session, project_id: str | None, page: Page) -> list[Any]:
    query = columns_of(Volume)
    if project_id is not None:
        query = query.where(Volume.project_id == project_id)
    return paginate(session, query, Volume, page)


def all_in_project(session: Session, project_id: str | None) -> list[Volume]:
    query = select(Volume).order_by(Volume.id)
    if project_id is not None:
        query = query.where(Volume.project_id == project_id)
    return list(session.scalars(query))


def in_statuses(session: Session, statuses: Iterable[str]) -> list[Volume]:
    query = select(Volume).where(Volume.status.in_(list(statuses))).order_by(Volume.id)
    return list(session.scalars(query))


def count(session: Session, project_id: str) -> int:
    query = select(func.count()).select_from(Volume).where(Volume.project_id == project_id)
    return int(session.scalar(query) or 0)


def add(session: Session, values: dict[str, Any]) -> Volume:
    """Insert a volume; a name already taken in the project is a 409."""
    row = Volume(**values)
    taken = exceptions.VolumeAlreadyExists(
        name=values.get("name"), project_id=values.get("project_id")
    )
    with unique_or(session, taken):
        session.add(row)
    return row


def rename(session: Session, row: Volume, name: str) -> None:
    """Give the volume a new name; one already taken in the project is a 409."""
    with unique_or(session, exceptions.VolumeAlreadyExists(name=name, project_id=row.project_id)):
        row.name = name


def remove(session: Session, row: Volume) -> None:
    """Delete the volume and its attachment records."""
    session.execute(delete(VolumeAttachment).where(VolumeAttachment.volume_id == row.uuid))
    session.delete(row)
    session.flush()


# -- attachments ---------------------------------------------------------------------------
def attachments(session: Session, volume_uuid: str) -> list[VolumeAttachment]:
    query = select(VolumeAttachment).where(VolumeAttachment.volume_id == volume_uuid)
    return list(session.scalars(query.order_by(VolumeAttachment.id)))


def attachment_counts(session: Session, volume_uuids: list[str]) -> dict[str, int]:
    """Volume uuid -> how many attachment records it has (volumes with none are left out)."""
    if not volume_uuids:
        return {}
    query = (
        select(VolumeAttachment.volume_id, func.count())
        .where(VolumeAttachment.volume_id.in_(volume_uuids))
        .group_by(VolumeAttachment.volume_id)
    )
    return {volume_id: int(count) for volume_id, count in session.execute(query)}


def all_attachments(session: Session) -> list[VolumeAttachment]:
    return list(session.scalars(select(VolumeAttachment).order_by(VolumeAttachment.id)))


def add_attachment(
    session: Session,
    volume_uuid: str,
    engine: str,
    mount_id: str,
    mountpoint: str,
    container_id: str | None = None,
) -> VolumeAttachment:
    row = VolumeAttachment(
        volume_id=volume_uuid,
        engine=engine,
        mount_id=mount_id,
        mountpoint=mountpoint,
        container_id=container_id,
    )
    session.add(row)
    session.flush()
    return row


def remove_attachments(
    session: Session, volume_uuid: str, engine: str | None = None, mount_id: str | None = None
) -> int:
    """Delete a volume's attachment records (of one engine, of one mount); returns how many."""
    query = delete(VolumeAttachment).where(VolumeAttachment.volume_id == volume_uuid)
    if engine is not None:
        query = query.where(VolumeAttachment.engine == engine)
    if mount_id is not None:
        query = query.where(VolumeAttachment.mount_id == mount_id)
    result: Any = session.execute(query)
    session.flush()
    return int(result.rowcount or 0)
