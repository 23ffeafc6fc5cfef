"""Zone rules for vision: a camera's detect_fps, and each camera zone's rule keys (line, direction,
dwell, schedule, priority/category overrides, whether a line crossing alarms).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("detect_fps", sa.Double(), server_default=sa.text("5"), nullable=False))
    with op.batch_alter_table("camera_zones") as batch:
        batch.add_column(sa.Column("line", sa.Text(), nullable=True))
        batch.add_column(sa.Column("direction", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("dwell_s", sa.Double(), nullable=True))
        batch.add_column(sa.Column("schedule", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("priority", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("category", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("alarm", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("camera_zones") as batch:
        for column in ("alarm", "category", "priority", "schedule", "dwell_s", "direction", "line"):
            batch.drop_column(column)
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("detect_fps")
