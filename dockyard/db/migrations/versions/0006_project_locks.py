"""project_locks table (per-project lock row for race-free quota checks)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_locks",
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_locks")),
    )


def downgrade() -> None:
    op.drop_table("project_locks")
