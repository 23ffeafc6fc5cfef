"""Site security: the site file's ``[security]`` lockout rules, synced onto the ``sites`` row.

Two columns with server defaults (5 attempts, 15 minutes), so an existing site row gets the defaults
until the next sync writes the file's values.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lockout_attempts", sa.Integer(), server_default=sa.text("5"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("lockout_minutes", sa.Double(), server_default=sa.text("15"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("lockout_minutes")
        batch_op.drop_column("lockout_attempts")
