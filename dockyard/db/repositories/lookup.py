"""uuid-or-name lookup shared by templates, clusters and nodegroups."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from dockyard.common import exceptions


def is_uuid_like(value: str) -> bool:
    try:
        return str(uuidlib.UUID(value)) == value.lower()
    except (ValueError, AttributeError):
        return False


def by_uuid_or_name(
    session: Session,
    model: Any,
    ident: str,
    where: ColumnElement[bool] | None,
    not_found: exceptions.DockyardError,
    kind: str,
) -> Any:
    """One row whose uuid (when `ident` looks like one) or name is `ident`.

    Several rows with that name -> 409, as Magnum does: names are not unique.
    """
    column = model.uuid if is_uuid_like(ident) else model.name
    query = select(model).where(column == (ident.lower() if column is model.uuid else ident))
    if where is not None:
        query = query.where(where)
    rows = list(session.scalars(query.limit(2)))
    if not rows:
        raise not_found
    if len(rows) > 1:
        raise exceptions.Conflict(
            f"Multiple {kind} exist with same name. Please use the {kind[:-1]} uuid instead."
        )
    return rows[0]
