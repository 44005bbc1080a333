"""Row locks that make a check and the write it guards one step under concurrency.

SQLite needs none of them: every write transaction starts with BEGIN IMMEDIATE, so writers run
one at a time. PostgreSQL and MariaDB (both at READ COMMITTED, see `db.session`) take row locks,
and a statement after the lock sees every transaction committed before it.
"""

from __future__ import annotations

from sqlalchemy import select
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
    try:
        # A concurrent first insert of the same row waits for the other transaction, then
        # fails here; the savepoint keeps our transaction usable.
        with session.begin_nested():
            session.add(ProjectLock(project_id=project_id))
            session.flush()
    except IntegrityError:
        session.scalar(query.with_for_update())
