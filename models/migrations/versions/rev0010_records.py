"""Records: residents' ID numbers, gender, registration, tags and pinyin search keys; households'
numbers; volunteer projects, activities and approved hours; care plans; job postings and referrals;
duty-team kinds and phones; the site file's [records] settings.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employer", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_postings")),
    )
    op.create_table(
        "volunteer_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_projects")),
        sa.UniqueConstraint("name", name=op.f("uq_volunteer_projects_name")),
    )
    op.create_table(
        "volunteer_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["volunteer_projects.id"],
            name=op.f("fk_volunteer_activities_project_id_volunteer_projects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_activities")),
    )
    with op.batch_alter_table("volunteer_activities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_activities_project_id"), ["project_id"], unique=False)

    op.create_table(
        "care_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("visit_interval_days", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("visit_interval_days > 0", name=op.f("ck_care_plans_interval_positive")),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_care_plans_resident_id_residents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plans")),
        sa.UniqueConstraint("resident_id", name=op.f("uq_care_plans_resident_id")),
    )
    op.create_table(
        "resident_name_parts",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_resident_name_parts_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", "part", name=op.f("pk_resident_name_parts")),
    )
    op.create_index(
        "ix_resident_name_parts_part", "resident_name_parts", ["part", "resident_id"], unique=False
    )
    op.create_table(
        "service_hours_monthly",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("project_key", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_service_hours_monthly_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "month", "volunteer_id", "project_key", name=op.f("pk_service_hours_monthly")
        ),
    )
    op.create_index(
        op.f("ix_service_hours_monthly_volunteer_id"), "service_hours_monthly", ["volunteer_id"], unique=False
    )
    op.create_table(
        "job_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('pending', 'interview', 'hired', 'declined')", name=op.f("ck_job_referrals_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"],
            ["job_postings.id"],
            name=op.f("fk_job_referrals_posting_id_job_postings"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_job_referrals_resident_id_residents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_referrals")),
    )
    with op.batch_alter_table("job_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_referrals_posting_id"), ["posting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_referrals_resident_id"), ["resident_id"], unique=False)

    with op.batch_alter_table("duty_team_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=64), server_default="", nullable=False))

    with op.batch_alter_table("duty_teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=32), server_default="other", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_duty_teams_kind"),
            "kind IN ('grid', 'joint-patrol', 'emergency-rescue', 'volunteer-patrol', 'other')",
        )

    with op.batch_alter_table("elderly_care_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("visitor", sa.String(length=200), server_default="", nullable=False))

    with op.batch_alter_table("employment_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skills", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("posting_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_employment_records_posting_id"), ["posting_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_employment_records_posting_id_job_postings"),
            "job_postings",
            ["posting_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_households_building_number", ["building_id", "number"], unique=True)

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "name_pinyin",
                sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql"),
                server_default="",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "name_initials",
                sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql"),
                server_default="",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("gender", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("id_number", sa.String(length=18), nullable=True))
        batch_op.add_column(
            sa.Column("registration", sa.String(length=16), server_default="registered", nullable=False)
        )
        batch_op.add_column(sa.Column("tags", sa.Text(), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_residents_birth_date"), ["birth_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_residents_name_initials"), ["name_initials"], unique=False)
        batch_op.create_index(batch_op.f("ix_residents_name_pinyin"), ["name_pinyin"], unique=False)
        batch_op.create_index(
            "ix_residents_same_person", ["name", "birth_date", "household_id"], unique=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_residents_id_number"), ["id_number"])
        batch_op.create_check_constraint(op.f("ck_residents_gender"), "gender IN ('M', 'F')")
        batch_op.create_check_constraint(
            op.f("ck_residents_registration"), "registration IN ('registered', 'migrant')"
        )

    with op.batch_alter_table("roster_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_shifts_ends_at"), ["ends_at"], unique=False)

    with op.batch_alter_table("service_hours", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("activity_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_service_hours_activity_id"), ["activity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_hours_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            "ix_service_hours_totals",
            ["approved", "served_on", "volunteer_id", "project_id", "minutes"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_service_hours_activity_id_volunteer_activities"),
            "volunteer_activities",
            ["activity_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_service_hours_project_id_volunteer_projects"),
            "volunteer_projects",
            ["project_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_service_hours_approved_by_id_users"),
            "users",
            ["approved_by_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("records_settings", sa.Text(), server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("records_settings")

    with op.batch_alter_table("service_hours", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_service_hours_approved_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_service_hours_project_id_volunteer_projects"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_service_hours_activity_id_volunteer_activities"), type_="foreignkey"
        )
        batch_op.drop_index("ix_service_hours_totals")
        batch_op.drop_index(batch_op.f("ix_service_hours_project_id"))
        batch_op.drop_index(batch_op.f("ix_service_hours_activity_id"))
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by_id")
        batch_op.drop_column("approved")
        batch_op.drop_column("activity_id")
        batch_op.drop_column("project_id")

    with op.batch_alter_table("roster_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_shifts_ends_at"))

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_residents_registration"), type_="check")
        batch_op.drop_constraint(op.f("ck_residents_gender"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_residents_id_number"), type_="unique")
        batch_op.drop_index("ix_residents_same_person")
        batch_op.drop_index(batch_op.f("ix_residents_name_pinyin"))
        batch_op.drop_index(batch_op.f("ix_residents_name_initials"))
        batch_op.drop_index(batch_op.f("ix_residents_birth_date"))
        batch_op.drop_column("tags")
        batch_op.drop_column("registration")
        batch_op.drop_column("id_number")
        batch_op.drop_column("gender")
        batch_op.drop_column("name_initials")
        batch_op.drop_column("name_pinyin")

    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index("ix_households_building_number")
        batch_op.drop_column("number")

    with op.batch_alter_table("employment_records", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_employment_records_posting_id_job_postings"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_employment_records_posting_id"))
        batch_op.drop_column("posting_id")
        batch_op.drop_column("skills")

    with op.batch_alter_table("elderly_care_records", schema=None) as batch_op:
        batch_op.drop_column("visitor")
        batch_op.drop_column("follow_up_due")

    with op.batch_alter_table("duty_teams", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_duty_teams_kind"), type_="check")
        batch_op.drop_column("kind")

    with op.batch_alter_table("duty_team_members", schema=None) as batch_op:
        batch_op.drop_column("phone")

    with op.batch_alter_table("job_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_referrals_resident_id"))
        batch_op.drop_index(batch_op.f("ix_job_referrals_posting_id"))

    op.drop_index("ix_resident_name_parts_part", table_name="resident_name_parts")
    op.drop_table("resident_name_parts")
    op.drop_index(op.f("ix_service_hours_monthly_volunteer_id"), table_name="service_hours_monthly")
    op.drop_table("service_hours_monthly")
    op.drop_table("job_referrals")
    op.drop_table("care_plans")
    with op.batch_alter_table("volunteer_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_activities_project_id"))

    op.drop_table("volunteer_activities")
    op.drop_table("volunteer_projects")
    op.drop_table("job_postings")
