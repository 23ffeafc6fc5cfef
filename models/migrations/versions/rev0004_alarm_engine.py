"""Alarm engine: the alarm entry keys of the site file, one open occurrence per alarm, who acknowledged.

- ``alarm_definitions``: ``off_delay_s``, ``latch``, ``realarm_min``, ``message``, ``suppress_when``.
- ``alarm_occurrences``: ``alarm_key`` with a partial unique index over the open ones (state not
  ``normal``), so the database itself refuses to raise an alarm twice; ``building``;
  ``acknowledged_by_id``; ``chattering``; ``snapshot``.
- ``alarm_transitions.held``: made while storage was down, written when it came back.
- ``sites``: the ``[alarms]`` table (``video_lost_s``, ``shelve_max_h``, ``flood_per_10min``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("state <> 'normal'")


def upgrade() -> None:
    with op.batch_alter_table("alarm_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("off_delay_s", sa.Double(), server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("latch", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("realarm_min", sa.Double(), server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("message", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("suppress_when", sa.String(length=200), nullable=True))
    with op.batch_alter_table("alarm_occurrences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alarm_key", sa.String(length=416), server_default="", nullable=False))
        batch_op.add_column(sa.Column("building", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("chattering", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("snapshot", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_alarm_occurrences_acknowledged_by_id_users"),
            "users",
            ["acknowledged_by_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    op.create_index(
        "ux_alarm_occurrences_open_key",
        "alarm_occurrences",
        ["alarm_key"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    with op.batch_alter_table("alarm_transitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("video_lost_s", sa.Double(), server_default=sa.text("30"), nullable=False))
        batch_op.add_column(sa.Column("shelve_max_h", sa.Double(), server_default=sa.text("8"), nullable=False))
        batch_op.add_column(
            sa.Column("flood_per_10min", sa.Integer(), server_default=sa.text("10"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("flood_per_10min")
        batch_op.drop_column("shelve_max_h")
        batch_op.drop_column("video_lost_s")
    with op.batch_alter_table("alarm_transitions", schema=None) as batch_op:
        batch_op.drop_column("held")
    op.drop_index("ux_alarm_occurrences_open_key", table_name="alarm_occurrences")
    with op.batch_alter_table("alarm_occurrences", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_alarm_occurrences_acknowledged_by_id_users"), type_="foreignkey")
        batch_op.drop_column("snapshot")
        batch_op.drop_column("chattering")
        batch_op.drop_column("acknowledged_by_id")
        batch_op.drop_column("building")
        batch_op.drop_column("alarm_key")
    with op.batch_alter_table("alarm_definitions", schema=None) as batch_op:
        batch_op.drop_column("suppress_when")
        batch_op.drop_column("message")
        batch_op.drop_column("realarm_min")
        batch_op.drop_column("latch")
        batch_op.drop_column("off_delay_s")
