"""Incidents workflow: statuses new / in-progress / on-hold / closed, who changed them, a duty team.

- ``incidents.status``: the check allows the four statuses of the workflow; today's ``open`` rows
  become ``in-progress`` (an open incident was being worked on), and each such row gets a first
  ``incident_status_changes`` row saying the migration moved it, so no incident lacks a history.
- ``incidents.duty_team_id``: the duty team assigned (``SET NULL`` when a team is removed).
- ``incident_status_changes``: one row per status change, with who, when and the reason.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_CHECK = "status IN ('new', 'in-progress', 'on-hold', 'closed')"
OLD_CHECK = "status IN ('open', 'closed')"


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_incidents_status"), type_="check")
    op.execute("UPDATE incidents SET status = 'in-progress' WHERE status = 'open'")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_check_constraint("status", NEW_CHECK)
        batch_op.add_column(sa.Column("duty_team_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_incidents_duty_team_id_duty_teams"),
            "duty_teams",
            ["duty_team_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_incidents_duty_team_id"), ["duty_team_id"], unique=False)
    op.create_table(
        "incident_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "to_status IN ('new', 'in-progress', 'on-hold', 'closed')",
            name=op.f("ck_incident_status_changes_to_status"),
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["users.id"],
            name=op.f("fk_incident_status_changes_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_status_changes_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_status_changes")),
    )
    op.create_index(
        op.f("ix_incident_status_changes_by_user_id"), "incident_status_changes", ["by_user_id"], unique=False
    )
    op.create_index(
        op.f("ix_incident_status_changes_incident_id"),
        "incident_status_changes",
        ["incident_id"],
        unique=False,
    )
    op.execute(
        "INSERT INTO incident_status_changes (incident_id, at, from_status, to_status, by_user_id, by_name, reason) "
        "SELECT id, opened_at, 'open', 'in-progress', NULL, 'migration', "
        "'an open incident of an earlier version is in progress' FROM incidents WHERE status = 'in-progress'"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_status_changes_incident_id"), table_name="incident_status_changes")
    op.drop_index(op.f("ix_incident_status_changes_by_user_id"), table_name="incident_status_changes")
    op.drop_table("incident_status_changes")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_duty_team_id"))
        batch_op.drop_constraint(batch_op.f("fk_incidents_duty_team_id_duty_teams"), type_="foreignkey")
        batch_op.drop_column("duty_team_id")
        batch_op.drop_constraint(batch_op.f("ck_incidents_status"), type_="check")
    op.execute("UPDATE incidents SET status = 'open' WHERE status <> 'closed'")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_check_constraint("status", OLD_CHECK)
