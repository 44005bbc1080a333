"""Marker/limit/sort pagination shared by every list query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from dockyard.common import exceptions


class Record(dict[str, Any]):
    """A listed row: a plain dict (cheap to read field by field) whose keys also read as
    attributes, like the ORM objects that single-row reads return."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def columns_of(model: Any, *, without: tuple[str, ...] = ()) -> Select[Any]:
    """SELECT of every column of `model`'s table except `without`, as a Core query."""
    return select(*(c for c in model.__table__.c if c.key not in without))


@dataclass(frozen=True, slots=True)
class Page:
    """Requested page: `marker` is the uuid (or int id) of the last row already seen."""

    limit: int
    marker: str | int | None = None
    sort_key: str = "id"
    sort_dir: str = "asc"


def paginate(
    session: Session, query: Select[Any], model: Any, page: Page, marker_column: str = "uuid"
) -> list[Any]:
    """Apply sort and marker to `query` and return at most `page.limit` rows.

    Lists select plain columns (`columns_of`), not ORM entities, and hand back `Record`s with
    the same attribute names, at a fraction of the cost of building mapped objects.
    """
    column: InstrumentedAttribute[Any] | None = getattr(model, page.sort_key, None)
    if column is None or page.sort_key not in model.__table__.columns:
        raise exceptions.Invalid(
            f'The sort_key value "{page.sort_key}" is an invalid field for sorting'
        )
    id_column = model.id
    descending = page.sort_dir == "desc"
    if page.marker is not None:
        marker_row = session.execute(
            query.with_only_columns(column, id_column)
            .order_by(None)
            .where(getattr(model, marker_column) == page.marker)
        ).first()
        if marker_row is None:
            raise exceptions.NotFound(f"Marker {page.marker} could not be found.")
        value, row_id = marker_row
        if page.sort_key == "id":
            query = query.where(id_column < row_id if descending else id_column > row_id)
        elif value is None:
            # NULLs sort first ascending: continue among NULLs by id, then all non-NULLs.
            if descending:
                query = query.where(and_(column.is_(None), id_column < row_id))
            else:
                query = query.where(
                    or_(column.is_not(None), and_(column.is_(None), id_column > row_id))
                )
        elif descending:
            query = query.where(
                or_(column < value, column.is_(None), and_(column == value, id_column < row_id))
            )
        else:
            query = query.where(or_(column > value, and_(column == value, id_column > row_id)))
    # NULLs sort first ascending everywhere; only PostgreSQL must be told (MySQL rejects it).
    explicit_nulls = session.get_bind().dialect.name == "postgresql"
    if descending:
        first = column.desc().nulls_last() if explicit_nulls else column.desc()
        order = [first, id_column.desc()]
    else:
        first = column.asc().nulls_first() if explicit_nulls else column.asc()
        order = [first, id_column.asc()]
    if page.sort_key == "id":
        order = order[:1]
    # On the session's connection, not the session: a column SELECT through the ORM still
    # runs its row-loading machinery, which cost more than the query.
    result = session.connection().execute(query.order_by(*order).limit(page.limit))
    keys = list(result.keys())
    return [Record(zip(keys, row, strict=True)) for row in result.all()]
