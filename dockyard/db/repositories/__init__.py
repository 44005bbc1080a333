"""Repositories: every query Dockyard makes, one module per table family."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.orm import Session


def execute_count(session: Session, statement: Executable) -> int:
    """Run an UPDATE/DELETE and return how many rows it touched."""
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount)
