"""volumes, volume_attachments and containers tables

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

DT = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "volumes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("driver", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("backend_ref", sa.String(length=255), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("updated_at", DT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volumes")),
        sa.UniqueConstraint("uuid", name=op.f("uq_volumes_uuid")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_volumes_project_id_name")),
    )
    op.create_index("ix_volumes_project_id", "volumes", ["project_id"], unique=False)
    op.create_table(
        "volume_attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("volume_id", sa.String(length=36), nullable=False),
        sa.Column("engine", sa.String(length=255), nullable=False),
        sa.Column("mount_id", sa.String(length=128), nullable=False),
        sa.Column("container_id", sa.String(length=128), nullable=True),
        sa.Column("mountpoint", sa.String(length=1024), nullable=False),
        sa.Column("created_at", DT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_attachments")),
        sa.UniqueConstraint(
            "volume_id",
            "engine",
            "mount_id",
            name=op.f("uq_volume_attachments_volume_id_engine_mount_id"),
        ),
    )
    op.create_index(
        op.f("ix_volume_attachments_volume_id"), "volume_attachments", ["volume_id"], unique=False
    )
    op.create_table(
        "containers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("image", sa.String(length=255), nullable=False),
        sa.Column("command", sa.JSON(), nullable=False),
        sa.Column("environment", sa.JSON(), nullable=False),
        sa.Column("mounts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("cluster_id", sa.String(length=36), nullable=True),
        sa.Column("docker_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("updated_at", DT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containers")),
        sa.UniqueConstraint("uuid", name=op.f("uq_containers_uuid")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_containers_project_id_name")),
    )
    op.create_index("ix_containers_project_id", "containers", ["project_id"], unique=False)
    op.create_index(op.f("ix_containers_cluster_id"), "containers", ["cluster_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_containers_cluster_id"), table_name="containers")
    op.drop_index("ix_containers_project_id", table_name="containers")
    op.drop_table("containers")
    op.drop_index(op.f("ix_volume_attachments_volume_id"), table_name="volume_attachments")
    op.drop_table("volume_attachments")
    op.drop_index("ix_volumes_project_id", table_name="volumes")
    op.drop_table("volumes")
