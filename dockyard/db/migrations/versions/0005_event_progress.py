"""cluster_events.progress (fraction done after a driver's progress step)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cluster_events", sa.Column("progress", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("cluster_events", "progress")
