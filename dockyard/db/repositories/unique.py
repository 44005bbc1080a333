"""Writes that a unique constraint may refuse, turned into the caller's 409."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dockyard.common import exceptions


@contextmanager
def unique_or(session: Session, conflict: exceptions.DockyardError) -> Iterator[None]:
    """Run the block's changes in a savepoint and flush them; when a unique constraint
    refuses them, the savepoint is rolled back and `conflict` raised."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        raise conflict from exc
