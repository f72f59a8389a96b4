"""delivery failures: sandbox mode's magic fans, one row per (message, fan), and the message's count of them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12

- delivery_failures (message_id, fan_id) -> reason, failed_at: written by the chunk that met the fan, in
  the chunk's transaction; the primary key makes a redone chunk write nothing twice.
- mass_messages.failed_count (0 for every message so far): counted in `total` like skipped fans.
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delivery_failures',
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fan_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('failed_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['mass_messages.id'],
                            name=op.f('fk_delivery_failures_message_id_mass_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'fan_id', name=op.f('pk_delivery_failures'))
    )
    op.add_column('mass_messages', sa.Column('failed_count', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('mass_messages', schema=None) as batch_op:
        batch_op.drop_column('failed_count')
    op.drop_table('delivery_failures')
