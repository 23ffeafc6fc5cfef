"""Initial schema: site config, alarms journal, incidents, people, vehicles, users, audit chain.

Generated with autogenerate against an empty SQLite database, then reviewed: boolean server
defaults use ``sa.true()``/``sa.false()`` (the generated ``text('0')`` is invalid on PostgreSQL), and
the audit head row is created here so the first append always has a row to lock.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 10:09:11.391836
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    audit_head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.bulk_insert(audit_head, [{"id": 1, "head_hash": "0" * 64, "row_count": 0, "last_id": 0}])
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('duty_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_duty_teams_name'))
    )
    op.create_table('plcs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('protocol', sa.String(length=20), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('port', sa.Integer(), nullable=True),
    sa.Column('serial_port', sa.String(length=255), nullable=True),
    sa.Column('baudrate', sa.Integer(), nullable=False),
    sa.Column('parity', sa.String(length=1), nullable=False),
    sa.Column('unit', sa.Integer(), nullable=False),
    sa.Column('rack', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('poll_ms', sa.Integer(), nullable=False),
    sa.Column('timeout_ms', sa.Integer(), nullable=False),
    sa.Column('word_order', sa.String(length=10), nullable=False),
    sa.Column('simulated', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plcs')),
    sa.UniqueConstraint('key', name=op.f('uq_plcs_key'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('source_path', sa.Text(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('key', name=op.f('uq_sites_key'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint("role IN ('duty-officer', 'supervisor', 'records-clerk', 'administrator')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('buildings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_buildings_site_id_sites'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings')),
    sa.UniqueConstraint('key', name=op.f('uq_buildings_key'))
    )
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buildings_site_id'), ['site_id'], unique=False)

    op.create_table('roster_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('position', sa.String(length=64), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_roster_shifts_ends_after_start')),
    sa.ForeignKeyConstraint(['team_id'], ['duty_teams.id'], name=op.f('fk_roster_shifts_team_id_duty_teams'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_shifts'))
    )
    with op.batch_alter_table('roster_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_shifts_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_shifts_team_id'), ['team_id'], unique=False)

    op.create_table('cameras',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('substream_url', sa.Text(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('detect', sa.Text(), nullable=False),
    sa.Column('simulated', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('media', sa.Text(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_cameras_building_id_buildings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cameras')),
    sa.UniqueConstraint('key', name=op.f('uq_cameras_key'))
    )
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cameras_building_id'), ['building_id'], unique=False)

    op.create_table('floors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('plan_image', sa.Text(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_floors_building_id_buildings'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floors')),
    sa.UniqueConstraint('key', name=op.f('uq_floors_key'))
    )
    with op.batch_alter_table('floors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_floors_building_id'), ['building_id'], unique=False)

    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_households_building_id_buildings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_households_building_id'), ['building_id'], unique=False)

    op.create_table('residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=False),
    sa.Column('emergency_contact', sa.Text(), nullable=False),
    sa.Column('moved_in', sa.Date(), nullable=True),
    sa.Column('moved_out', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_residents_household_id_households'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents'))
    )
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residents_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residents_name'), ['name'], unique=False)

    op.create_table('zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('floor_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_zones_building_id_buildings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['floor_id'], ['floors.id'], name=op.f('fk_zones_floor_id_floors'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones')),
    sa.UniqueConstraint('key', name=op.f('uq_zones_key'))
    )
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zones_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zones_floor_id'), ['floor_id'], unique=False)

    op.create_table('camera_zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('polygon', sa.Text(), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], name=op.f('fk_camera_zones_camera_id_cameras'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_camera_zones_zone_id_zones'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_camera_zones')),
    sa.UniqueConstraint('key', name=op.f('uq_camera_zones_key'))
    )
    with op.batch_alter_table('camera_zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_camera_zones_camera_id'), ['camera_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_camera_zones_zone_id'), ['zone_id'], unique=False)

    op.create_table('employment_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('seeking', 'training', 'placed', 'ended')", name=op.f('ck_employment_records_status')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_employment_records_recorded_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_employment_records_resident_id_residents'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employment_records'))
    )
    with op.batch_alter_table('employment_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employment_records_recorded_by_id'), ['recorded_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_employment_records_resident_id'), ['resident_id'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("priority IN ('fire', 'urgent', 'high', 'medium', 'low')", name=op.f('ck_incidents_priority')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_incidents_status')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_incidents_building_id_buildings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_incidents_closed_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_incidents_opened_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_incidents_zone_id_zones'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_closed_by_id'), ['closed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_opened_by_id'), ['opened_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_zone_id'), ['zone_id'], unique=False)

    op.create_table('points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plc_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('scale', sa.Double(), nullable=False),
    sa.Column('offset', sa.Double(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('range_min', sa.Double(), nullable=True),
    sa.Column('range_max', sa.Double(), nullable=True),
    sa.Column('value_deadband', sa.Double(), nullable=False),
    sa.Column('writable', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_points_building_id_buildings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plc_id'], ['plcs.id'], name=op.f('fk_points_plc_id_plcs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_points_zone_id_zones'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points')),
    sa.UniqueConstraint('key', name=op.f('uq_points_key'))
    )
    with op.batch_alter_table('points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_plc_id'), ['plc_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_zone_id'), ['zone_id'], unique=False)

    op.create_table('registered_vehicles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('plate', sa.String(length=32), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('car', 'motorcycle', 'e-bike', 'bicycle')", name=op.f('ck_registered_vehicles_kind')),
    sa.ForeignKeyConstraint(['owner_id'], ['residents.id'], name=op.f('fk_registered_vehicles_owner_id_residents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registered_vehicles')),
    sa.UniqueConstraint('plate', name=op.f('uq_registered_vehicles_plate'))
    )
    with op.batch_alter_table('registered_vehicles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registered_vehicles_owner_id'), ['owner_id'], unique=False)

    op.create_table('volunteers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=False),
    sa.Column('skills', sa.Text(), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_volunteers_resident_id_residents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteers'))
    )
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteers_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteers_resident_id'), ['resident_id'], unique=False)

    op.create_table('alarm_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('limit_kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('delay_s', sa.Double(), nullable=False),
    sa.Column('deadband', sa.Double(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint("category IN ('fire', 'pre-alarm', 'supervisory', 'fault')", name=op.f('ck_alarm_definitions_category')),
    sa.CheckConstraint("limit_kind IN ('high-high', 'high', 'low', 'low-low', 'on', 'off')", name=op.f('ck_alarm_definitions_limit_kind')),
    sa.CheckConstraint("priority IN ('fire', 'urgent', 'high', 'medium', 'low')", name=op.f('ck_alarm_definitions_priority')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_alarm_definitions_point_id_points'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_definitions')),
    sa.UniqueConstraint('key', name=op.f('uq_alarm_definitions_key'))
    )
    with op.batch_alter_table('alarm_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_definitions_point_id'), ['point_id'], unique=False)

    op.create_table('duty_team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.CheckConstraint('user_id IS NOT NULL OR volunteer_id IS NOT NULL', name=op.f('ck_duty_team_members_who')),
    sa.ForeignKeyConstraint(['team_id'], ['duty_teams.id'], name=op.f('fk_duty_team_members_team_id_duty_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_duty_team_members_user_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_duty_team_members_volunteer_id_volunteers'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_team_members')),
    sa.UniqueConstraint('team_id', 'user_id', name=op.f('uq_duty_team_members_team_id_user_id')),
    sa.UniqueConstraint('team_id', 'volunteer_id', name=op.f('uq_duty_team_members_team_id_volunteer_id'))
    )
    with op.batch_alter_table('duty_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_team_members_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_team_members_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_team_members_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('elderly_care_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('visit', 'call', 'meal', 'health-check', 'escort', 'other')", name=op.f('ck_elderly_care_records_kind')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_elderly_care_records_recorded_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_elderly_care_records_resident_id_residents'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_elderly_care_records_volunteer_id_volunteers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elderly_care_records'))
    )
    with op.batch_alter_table('elderly_care_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elderly_care_records_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_elderly_care_records_recorded_by_id'), ['recorded_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_elderly_care_records_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_elderly_care_records_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('incident_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_incident_notes_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_notes_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_notes'))
    )
    with op.batch_alter_table('incident_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_notes_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_notes_incident_id'), ['incident_id'], unique=False)

    op.create_table('service_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('activity', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('minutes > 0', name=op.f('ck_service_hours_minutes_positive')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_service_hours_recorded_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_service_hours_volunteer_id_volunteers'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_hours'))
    )
    with op.batch_alter_table('service_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_hours_recorded_by_id'), ['recorded_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_hours_served_on'), ['served_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_hours_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('alarm_occurrences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=216), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shelved_until', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("category IN ('fire', 'pre-alarm', 'supervisory', 'fault')", name=op.f('ck_alarm_occurrences_category')),
    sa.CheckConstraint("priority IN ('fire', 'urgent', 'high', 'medium', 'low')", name=op.f('ck_alarm_occurrences_priority')),
    sa.CheckConstraint("state IN ('normal', 'unacknowledged', 'acknowledged', 'rtn-unacknowledged', 'latched', 'shelved', 'suppressed', 'out-of-service')", name=op.f('ck_alarm_occurrences_state')),
    sa.ForeignKeyConstraint(['definition_id'], ['alarm_definitions.id'], name=op.f('fk_alarm_occurrences_definition_id_alarm_definitions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_occurrences'))
    )
    with op.batch_alter_table('alarm_occurrences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_occurrences_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index('ix_alarm_occurrences_state_raised_at', ['state', 'raised_at'], unique=False)

    op.create_table('alarm_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=False),
    sa.Column('to_state', sa.String(length=24), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("from_state IN ('normal', 'unacknowledged', 'acknowledged', 'rtn-unacknowledged', 'latched', 'shelved', 'suppressed', 'out-of-service')", name=op.f('ck_alarm_transitions_from_state')),
    sa.CheckConstraint("to_state IN ('normal', 'unacknowledged', 'acknowledged', 'rtn-unacknowledged', 'latched', 'shelved', 'suppressed', 'out-of-service')", name=op.f('ck_alarm_transitions_to_state')),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_alarm_transitions_by_user_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['occurrence_id'], ['alarm_occurrences.id'], name=op.f('fk_alarm_transitions_occurrence_id_alarm_occurrences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_transitions'))
    )
    with op.batch_alter_table('alarm_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_transitions_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarm_transitions_by_user_id'), ['by_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarm_transitions_occurrence_id'), ['occurrence_id'], unique=False)

    op.create_table('incident_alarms',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_alarms_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['occurrence_id'], ['alarm_occurrences.id'], name=op.f('fk_incident_alarms_occurrence_id_alarm_occurrences'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('incident_id', 'occurrence_id', name=op.f('pk_incident_alarms'))
    )
    with op.batch_alter_table('incident_alarms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_alarms_occurrence_id'), ['occurrence_id'], unique=False)

    op.create_table('operator_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=216), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['alarm_occurrences.id'], name=op.f('fk_operator_actions_occurrence_id_alarm_occurrences'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_operator_actions_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_actions'))
    )
    with op.batch_alter_table('operator_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_actions_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_operator_actions_occurrence_id'), ['occurrence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operator_actions_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('operator_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_actions_user_id'))
        batch_op.drop_index(batch_op.f('ix_operator_actions_occurrence_id'))
        batch_op.drop_index(batch_op.f('ix_operator_actions_at'))

    op.drop_table('operator_actions')
    with op.batch_alter_table('incident_alarms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_alarms_occurrence_id'))

    op.drop_table('incident_alarms')
    with op.batch_alter_table('alarm_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarm_transitions_occurrence_id'))
        batch_op.drop_index(batch_op.f('ix_alarm_transitions_by_user_id'))
        batch_op.drop_index(batch_op.f('ix_alarm_transitions_at'))

    op.drop_table('alarm_transitions')
    with op.batch_alter_table('alarm_occurrences', schema=None) as batch_op:
        batch_op.drop_index('ix_alarm_occurrences_state_raised_at')
        batch_op.drop_index(batch_op.f('ix_alarm_occurrences_definition_id'))

    op.drop_table('alarm_occurrences')
    with op.batch_alter_table('service_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_hours_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_service_hours_served_on'))
        batch_op.drop_index(batch_op.f('ix_service_hours_recorded_by_id'))

    op.drop_table('service_hours')
    with op.batch_alter_table('incident_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_notes_incident_id'))
        batch_op.drop_index(batch_op.f('ix_incident_notes_author_id'))

    op.drop_table('incident_notes')
    with op.batch_alter_table('elderly_care_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elderly_care_records_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_elderly_care_records_resident_id'))
        batch_op.drop_index(batch_op.f('ix_elderly_care_records_recorded_by_id'))
        batch_op.drop_index(batch_op.f('ix_elderly_care_records_at'))

    op.drop_table('elderly_care_records')
    with op.batch_alter_table('duty_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_team_members_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_duty_team_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_duty_team_members_team_id'))

    op.drop_table('duty_team_members')
    with op.batch_alter_table('alarm_definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarm_definitions_point_id'))

    op.drop_table('alarm_definitions')
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteers_resident_id'))
        batch_op.drop_index(batch_op.f('ix_volunteers_name'))

    op.drop_table('volunteers')
    with op.batch_alter_table('registered_vehicles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registered_vehicles_owner_id'))

    op.drop_table('registered_vehicles')
    with op.batch_alter_table('points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_zone_id'))
        batch_op.drop_index(batch_op.f('ix_points_plc_id'))
        batch_op.drop_index(batch_op.f('ix_points_building_id'))

    op.drop_table('points')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_zone_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_status'))
        batch_op.drop_index(batch_op.f('ix_incidents_opened_by_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_opened_at'))
        batch_op.drop_index(batch_op.f('ix_incidents_closed_by_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_building_id'))

    op.drop_table('incidents')
    with op.batch_alter_table('employment_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employment_records_resident_id'))
        batch_op.drop_index(batch_op.f('ix_employment_records_recorded_by_id'))

    op.drop_table('employment_records')
    with op.batch_alter_table('camera_zones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_camera_zones_zone_id'))
        batch_op.drop_index(batch_op.f('ix_camera_zones_camera_id'))

    op.drop_table('camera_zones')
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zones_floor_id'))
        batch_op.drop_index(batch_op.f('ix_zones_building_id'))

    op.drop_table('zones')
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residents_name'))
        batch_op.drop_index(batch_op.f('ix_residents_household_id'))

    op.drop_table('residents')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_building_id'))

    op.drop_table('households')
    with op.batch_alter_table('floors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_floors_building_id'))

    op.drop_table('floors')
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cameras_building_id'))

    op.drop_table('cameras')
    with op.batch_alter_table('roster_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_shifts_team_id'))
        batch_op.drop_index(batch_op.f('ix_roster_shifts_starts_at'))

    op.drop_table('roster_shifts')
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buildings_site_id'))

    op.drop_table('buildings')
    op.drop_table('users')
    op.drop_table('sites')
    op.drop_table('plcs')
    op.drop_table('duty_teams')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    op.drop_table('audit_head')
