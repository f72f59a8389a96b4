"""sandbox engagement: simulated fans' settings per account, and how far they have been materialised

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sandbox_engagement',
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('view_rate', sa.Float(), nullable=False),
    sa.Column('purchase_rate', sa.Float(), nullable=False),
    sa.Column('view_delay_min_hours', sa.Float(), nullable=False),
    sa.Column('view_delay_max_hours', sa.Float(), nullable=False),
    sa.Column('purchase_delay_min_hours', sa.Float(), nullable=False),
    sa.Column('purchase_delay_max_hours', sa.Float(), nullable=False),
    sa.Column('updated_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.Column('through', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('settled_before', massdm.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_sandbox_engagement_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_sandbox_engagement'))
    )


def downgrade() -> None:
    op.drop_table('sandbox_engagement')
