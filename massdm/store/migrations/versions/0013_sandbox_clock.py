"""sandbox clock: the driven clock's one row, which every process of the store reads

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-11
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sandbox_clock',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('frozen_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('offset_us', sa.BigInteger(), nullable=False),
    sa.Column('advancing', sa.String(length=64), nullable=True),
    sa.Column('advancing_until', massdm.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_clock'))
    )


def downgrade() -> None:
    op.drop_table('sandbox_clock')
