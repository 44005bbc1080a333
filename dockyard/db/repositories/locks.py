"""Row locks that make a check and the write it guards one step under concurrency.

SQLite needs none of them: every write transaction starts with BEGIN IMMEDIATE, so writers run
one at a time. PostgreSQL and MariaDB (both at READ COMMITTED, see `db.session`) take row locks,
and a statement after the lock sees every transaction committed before it.
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dockyard.db.models import ProjectLock


def _serialised_already(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def lock_project(session: Session, project_id: str) -> None:
    """Hold the project's lock row until the transaction ends (creating the row if needed).

    Call it before reading anything the check depends on (counts, quota rows).
    """
    if _serialised_already(session):
        return
    query = select(ProjectLock.project_id).where(ProjectLock.project_id == project_id)
    if session.scalar(query.with_for_update()) is not None:
        return
    _create_row(session, project_id)
    session.scalar(query.with_for_update())


def _create_row(session: Session, project_id: str) -> None:
    """Insert the lock row in a transaction of its own (a duplicate from a concurrent insert
    is fine). Inside the caller's transaction, InnoDB would keep the shared lock of the
    duplicate-key check until the end, and two such callers then deadlock on the row."""
    with session.connection().engine.connect() as connection:
        try:
            connection.execute(insert(ProjectLock).values(project_id=project_id))
            connection.commit()
        except IntegrityError:
            connection.rollback()
