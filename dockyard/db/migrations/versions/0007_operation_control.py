"""operations: typed control columns instead of `_`-prefixed keys in `params`

The requester's token, the polling flag, the transient-retry count, the replaced
certificates and a nodegroup update's relabel flag and previous values move out of the JSON
`params` into their own columns (an operation queued before the upgrade keeps running).

Revision ID: 0007
Revises: 0006
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Old params key -> new column.
_MOVED = {
    "_auth_token": "auth_token",
    "_polling": "polling",
    "_retries": "retries",
    "_replaced_certs": "replaced_certs",
    "_relabel": "relabel",
    "_previous": "restore",
}
_DEFAULTS: dict[str, Any] = {"polling": False, "retries": 0, "relabel": False}


def _operations() -> sa.TableClause:
    return sa.table(
        "operations",
        sa.column("id", sa.Integer()),
        sa.column("params", sa.JSON()),
        *(sa.column(name, sa.JSON()) for name in ("replaced_certs", "restore")),
        sa.column("auth_token", sa.Text()),
        sa.column("polling", sa.Boolean()),
        sa.column("retries", sa.Integer()),
        sa.column("relabel", sa.Boolean()),
    )


def upgrade() -> None:
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_token", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("polling", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("retries", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("replaced_certs", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("relabel", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("restore", sa.JSON(), nullable=True))
    table = _operations()
    bind = op.get_bind()
    for row_id, params in bind.execute(sa.select(table.c.id, table.c.params)).all():
        if not params or not any(key in params for key in _MOVED):
            continue
        values = {column: params[key] for key, column in _MOVED.items() if key in params}
        kept = {k: v for k, v in params.items() if k not in _MOVED}
        bind.execute(sa.update(table).where(table.c.id == row_id).values(params=kept, **values))


def downgrade() -> None:
    table = _operations()
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(table.c.id, table.c.params, *(table.c[c] for c in _MOVED.values()))
    ).all()
    for row in rows:
        moved = {
            key: row._mapping[column]
            for key, column in _MOVED.items()
            if row._mapping[column] not in (None, _DEFAULTS.get(column))
        }
        if moved:
            params = {**(row.params or {}), **moved}
            bind.execute(sa.update(table).where(table.c.id == row.id).values(params=params))
    with op.batch_alter_table("operations", schema=None) as batch_op:
        for column in reversed(list(_MOVED.values())):
            batch_op.drop_column(column)
