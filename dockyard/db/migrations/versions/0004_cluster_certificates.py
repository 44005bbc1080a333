"""cluster_certificates table (certificate expiry of CAs, admin and node certificates)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

DT = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_certificates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cluster_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=1024), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("not_before", DT, nullable=False),
        sa.Column("not_after", DT, nullable=False),
        sa.Column("updated_at", DT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_certificates")),
        sa.UniqueConstraint(
            "cluster_id", "kind", "name", name=op.f("uq_cluster_certificates_cluster_id_kind_name")
        ),
    )
    op.create_index(
        op.f("ix_cluster_certificates_cluster_id"),
        "cluster_certificates",
        ["cluster_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_cluster_certificates_not_after"),
        "cluster_certificates",
        ["not_after"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_cluster_certificates_not_after"), table_name="cluster_certificates")
    op.drop_index(op.f("ix_cluster_certificates_cluster_id"), table_name="cluster_certificates")
    op.drop_table("cluster_certificates")
