"""sandbox faults: faults on purpose for a team's API calls and webhook deliveries, shared by every process

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sandbox_faults',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=True),
    sa.Column('path', sa.String(length=2000), nullable=True),
    sa.Column('webhook_id', sa.String(length=35), nullable=True),
    sa.Column('mode', sa.String(length=10), nullable=True),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('times', sa.Integer(), nullable=True),
    sa.Column('remaining', sa.Integer(), nullable=True),
    sa.Column('probability_ppb', sa.BigInteger(), nullable=True),
    sa.Column('seed', sa.BigInteger(), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('retry_after_ms', sa.Integer(), nullable=True),
    sa.Column('calls', sa.BigInteger(), nullable=False),
    sa.Column('hits', sa.BigInteger(), nullable=False),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_sandbox_faults_team_id_teams'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_sandbox_faults_webhook_id_webhooks'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_faults'))
    )
    op.create_index(op.f('ix_sandbox_faults_team_id'), 'sandbox_faults', ['team_id'], unique=False)
    op.create_index(op.f('ix_sandbox_faults_webhook_id'), 'sandbox_faults', ['webhook_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sandbox_faults_webhook_id'), table_name='sandbox_faults')
    op.drop_index(op.f('ix_sandbox_faults_team_id'), table_name='sandbox_faults')
    op.drop_table('sandbox_faults')
