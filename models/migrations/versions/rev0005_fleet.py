"""Several workstations: stations, leases, the live tables, device requests; the site file's text.

- ``stations`` and ``leases``: who runs and who owns which connection (heartbeat, expiry).
- ``bus_counters`` with its one row ``live``: numbers the changes of ``live_points``/``live_links``.
- ``device_requests``: plant writes and drills asked of the owning station.
- ``sites.source_text``: the synced site file, shown by a console whose own file differs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("standby", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("site_sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("name", name=op.f("uq_stations_name")),
    )
    op.create_table(
        "leases",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("station", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_leases")),
    )
    op.create_index(op.f("ix_leases_station"), "leases", ["station"], unique=False)
    counters = op.create_table(
        "bus_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_bus_counters")),
    )
    op.bulk_insert(counters, [{"name": "live", "value": 0}])
    op.create_table(
        "live_points",
        sa.Column("point", sa.String(length=200), nullable=False),
        sa.Column("plc", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("is_bool", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("quality", sa.String(length=16), nullable=False),
        sa.Column("last_good_at", sa.Double(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("station", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("point", name=op.f("pk_live_points")),
    )
    op.create_index(op.f("ix_live_points_seq"), "live_points", ["seq"], unique=False)
    op.create_table(
        "live_links",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("station", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.Double(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_live_links")),
    )
    op.create_index(op.f("ix_live_links_seq"), "live_links", ["seq"], unique=False)
    op.create_table(
        "device_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("lease", sa.String(length=300), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("station", sa.String(length=200), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'refused', 'failed', 'expired')",
            name=op.f("ck_device_requests_status"),
        ),
        sa.CheckConstraint(
            "kind IN ('point.write', 'drill.trip', 'drill.restore')", name=op.f("ck_device_requests_kind")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_device_requests_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_requests")),
    )
    op.create_index("ix_device_requests_status_lease", "device_requests", ["status", "lease"], unique=False)
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("source_text")
    op.drop_index("ix_device_requests_status_lease", table_name="device_requests")
    op.drop_table("device_requests")
    op.drop_index(op.f("ix_live_links_seq"), table_name="live_links")
    op.drop_table("live_links")
    op.drop_index(op.f("ix_live_points_seq"), table_name="live_points")
    op.drop_table("live_points")
    op.drop_table("bus_counters")
    op.drop_index(op.f("ix_leases_station"), table_name="leases")
    op.drop_table("leases")
    op.drop_table("stations")
