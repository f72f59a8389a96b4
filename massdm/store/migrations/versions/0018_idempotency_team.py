"""idempotency keys: the caller's team, so a whole-team sandbox reset forgets its stored responses

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa



revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no backfill: a key stored before knows no team, and expires within its 24 hours.
    op.add_column('idempotency_keys', sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
    op.create_index('ix_idempotency_keys_team_id', 'idempotency_keys', ['team_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_idempotency_keys_team_id', table_name='idempotency_keys')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_column('team_id')
