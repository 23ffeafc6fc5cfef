"""Access events: plates accepted at the gates, matched against registered vehicles (personal data,
purged after ``[vision] access_retention_days``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plate", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("matched_plate", sa.String(length=32), nullable=True),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('registered', 'unregistered', 'expired', 'inactive')",
            name=op.f("ck_access_events_status"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_access_events_snapshot_id_snapshots"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["registered_vehicles.id"],
            name=op.f("fk_access_events_vehicle_id_registered_vehicles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_events")),
    )
    op.create_index(op.f("ix_access_events_camera"), "access_events", ["camera", "seen_at"], unique=False)
    op.create_index(op.f("ix_access_events_plate"), "access_events", ["plate"], unique=False)
    op.create_index(op.f("ix_access_events_seen_at"), "access_events", ["seen_at"], unique=False)
    op.create_index(op.f("ix_access_events_snapshot_id"), "access_events", ["snapshot_id"], unique=False)
    op.create_index(op.f("ix_access_events_vehicle_id"), "access_events", ["vehicle_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_access_events_vehicle_id"), table_name="access_events")
    op.drop_index(op.f("ix_access_events_snapshot_id"), table_name="access_events")
    op.drop_index(op.f("ix_access_events_seen_at"), table_name="access_events")
    op.drop_index(op.f("ix_access_events_plate"), table_name="access_events")
    op.drop_index(op.f("ix_access_events_camera"), table_name="access_events")
    op.drop_table("access_events")
