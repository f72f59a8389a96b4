"""delivery chunks: many workers share one message

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delivery_chunks',
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('after_fan_id', sa.BigInteger(), nullable=False),
    sa.Column('through_fan_id', sa.BigInteger(), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('lease_until', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('delivered', sa.BigInteger(), nullable=True),
    sa.Column('done_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['mass_messages.id'], name=op.f('fk_delivery_chunks_message_id_mass_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'seq', name=op.f('pk_delivery_chunks'))
    )
    with op.batch_alter_table('delivery_chunks', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_chunks_open', ['message_id', 'seq'], unique=False,
                              sqlite_where=sa.text('done_at IS NULL'), postgresql_where=sa.text('done_at IS NULL'))

    # A message in the middle of delivery under the single-worker design resumes as one open chunk
    # after its cursor; finished messages need none.
    op.execute(
        "INSERT INTO delivery_chunks (message_id, seq, after_fan_id, through_fan_id, attempts) "
        "SELECT id, 0, cursor_fan_id, NULL, 0 FROM mass_messages "
        "WHERE total >= 0 AND finished_at IS NULL AND canceled_at IS NULL"
    )
    op.execute("UPDATE mass_messages SET claimed_by = NULL, lease_until = NULL WHERE total >= 0")
    with op.batch_alter_table('mass_messages', schema=None) as batch_op:
        batch_op.drop_column('cursor_fan_id')


def downgrade() -> None:
    with op.batch_alter_table('mass_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cursor_fan_id', sa.BigInteger(), nullable=False, server_default='0'))
    with op.batch_alter_table('delivery_chunks', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_chunks_open', sqlite_where=sa.text('done_at IS NULL'),
                            postgresql_where=sa.text('done_at IS NULL'))
    op.drop_table('delivery_chunks')
