"""Camera wall: operators' named wall layouts, and snapshots (masked images in the data folder).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wall_layouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grid", sa.String(length=8), nullable=False),
        sa.Column("tiles", sa.Text(), nullable=False),
        sa.Column("tour_s", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "grid IN ('1', '2x2', '3x3', '4x4', '1+5', '1+7')", name=op.f("ck_wall_layouts_grid")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wall_layouts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wall_layouts")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_wall_layouts_user_id_name")),
    )
    op.create_index(op.f("ix_wall_layouts_user_id"), "wall_layouts", ["user_id"], unique=False)
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera", sa.String(length=200), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frame_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("source IN ('operator', 'vision')", name=op.f("ck_snapshots_source")),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_snapshots_incident_id_incidents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_snapshots_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
    )
    op.create_index(op.f("ix_snapshots_camera"), "snapshots", ["camera"], unique=False)
    op.create_index(op.f("ix_snapshots_incident_id"), "snapshots", ["incident_id"], unique=False)
    op.create_index(op.f("ix_snapshots_taken_at"), "snapshots", ["taken_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_snapshots_taken_at"), table_name="snapshots")
    op.drop_index(op.f("ix_snapshots_incident_id"), table_name="snapshots")
    op.drop_index(op.f("ix_snapshots_camera"), table_name="snapshots")
    op.drop_table("snapshots")
    op.drop_index(op.f("ix_wall_layouts_user_id"), table_name="wall_layouts")
    op.drop_table("wall_layouts")
