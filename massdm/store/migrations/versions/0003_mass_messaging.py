"""mass messaging

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('scope_hash', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('scope_hash', name=op.f('pk_idempotency_keys'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_expires_at'), ['expires_at'], unique=False)

    op.create_table('mass_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('raw_text', sa.Text(), nullable=False),
    sa.Column('locked_text', sa.Boolean(), nullable=False),
    sa.Column('price_cents', sa.BigInteger(), nullable=False),
    sa.Column('giphy_id', sa.String(length=200), nullable=True),
    sa.Column('release_forms', sa.JSON(), nullable=False),
    sa.Column('user_lists', sa.JSON(), nullable=False),
    sa.Column('excluded_lists', sa.JSON(), nullable=False),
    sa.Column('subscribed_since', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.Column('saved_for_later', sa.Boolean(), nullable=False),
    sa.Column('scheduled_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('due_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('sent_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('finished_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('canceled_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('skipped_count', sa.BigInteger(), nullable=False),
    sa.Column('sent_count', sa.BigInteger(), nullable=False),
    sa.Column('viewed_count', sa.BigInteger(), nullable=False),
    sa.Column('purchased_count', sa.BigInteger(), nullable=False),
    sa.Column('revenue_cents', sa.BigInteger(), nullable=False),
    sa.Column('cursor_fan_id', sa.BigInteger(), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('lease_until', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_mass_messages_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_messages'))
    )
    with op.batch_alter_table('mass_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mass_messages_account_created', ['account_id', 'created_at'], unique=False)
        batch_op.create_index('ix_mass_messages_account_sent', ['account_id', 'sent_at', 'id'], unique=False)
        batch_op.create_index('ix_mass_messages_due', ['due_at'], unique=False)

    op.create_table('saved_for_later_settings',
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('period_hours', sa.Integer(), nullable=True),
    sa.Column('next_send_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_saved_for_later_settings_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_saved_for_later_settings'))
    )
    op.create_table('deliveries',
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fan_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('delivered_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.Column('viewed_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('purchased_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['mass_messages.id'], name=op.f('fk_deliveries_message_id_mass_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'fan_id', name=op.f('pk_deliveries'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_fan', ['fan_id', 'delivered_at'], unique=False)

    op.create_table('mass_message_media',
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('media_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('is_preview', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_mass_message_media_media_id_media'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['message_id'], ['mass_messages.id'], name=op.f('fk_mass_message_media_message_id_mass_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'position', name=op.f('pk_mass_message_media'))
    )
    op.create_table('mass_message_user_ids',
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fan_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['mass_messages.id'], name=op.f('fk_mass_message_user_ids_message_id_mass_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'fan_id', name=op.f('pk_mass_message_user_ids'))
    )
    op.create_table('purchases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('fan_id', sa.BigInteger(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('purchased_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['mass_messages.id'], name=op.f('fk_purchases_message_id_mass_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchases')),
    sa.UniqueConstraint('message_id', 'fan_id', name='uq_purchases_message_fan')
    )
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.create_index('ix_purchases_account_time', ['account_id', 'purchased_at'], unique=False)

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=50), server_default='api', nullable=False))

    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_claimed_by', sa.BigInteger(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_column('upload_claimed_by')

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('scopes')

    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.drop_index('ix_purchases_account_time')

    op.drop_table('purchases')
    op.drop_table('mass_message_user_ids')
    op.drop_table('mass_message_media')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_fan')

    op.drop_table('deliveries')
    op.drop_table('saved_for_later_settings')
    with op.batch_alter_table('mass_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_mass_messages_due')
        batch_op.drop_index('ix_mass_messages_account_sent')
        batch_op.drop_index('ix_mass_messages_account_created')

    op.drop_table('mass_messages')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_expires_at'))

    op.drop_table('idempotency_keys')
