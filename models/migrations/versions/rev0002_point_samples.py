"""Point samples: the historian's table (one row per stored value or quality transition).

Generated with autogenerate against a database at 0001, then reviewed: no boolean columns, so no
server defaults to fix; the one index is the composite ``(point_id, ts)`` that every trend query and
purge batch scans (it also serves the foreign key, so ``point_id`` gets no index of its own). The id
is 64-bit on PostgreSQL and SQLite's rowid on SQLite.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:19:43.887758
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('point_samples',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('quality', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_point_samples_point_id_points'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_samples'))
    )
    with op.batch_alter_table('point_samples', schema=None) as batch_op:
        batch_op.create_index('ix_point_samples_point_id_ts', ['point_id', 'ts'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('point_samples', schema=None) as batch_op:
        batch_op.drop_index('ix_point_samples_point_id_ts')

    op.drop_table('point_samples')
