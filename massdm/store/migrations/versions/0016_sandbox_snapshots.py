"""sandbox snapshots: saved states of a team's sandbox, their rows as JSON in one table

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sandbox_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.Column('revision', sa.String(length=32), nullable=False),
    sa.Column('clock_frozen_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('clock_offset_us', sa.BigInteger(), nullable=False),
    sa.Column('sizes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_sandbox_snapshots_team_id_teams'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_snapshots')),
    sa.UniqueConstraint('team_id', 'name', name='uq_sandbox_snapshots_team_name')
    )
    op.create_table('sandbox_snapshot_rows',
    sa.Column('snapshot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['sandbox_snapshots.id'],
                            name=op.f('fk_sandbox_snapshot_rows_snapshot_id_sandbox_snapshots'), ondelete='CASCADE')
    )
    op.create_index('ix_sandbox_snapshot_rows_snapshot', 'sandbox_snapshot_rows', ['snapshot_id', 'table_name'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_sandbox_snapshot_rows_snapshot', table_name='sandbox_snapshot_rows')
    op.drop_table('sandbox_snapshot_rows')
    op.drop_table('sandbox_snapshots')
