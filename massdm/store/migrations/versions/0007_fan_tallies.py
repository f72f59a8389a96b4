"""fan tallies: counts kept instead of recounted, and indexes in the listing order so pages seek

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

- fan_tallies (per account: a version bumped by every audience change, and the time-independent
  counts) and fan_expiry_tallies (fans by UTC day of expiry and auto-renew), back-filled from the
  fans by store.fan_tallies.recount;
- user_lists.member_count, back-filled from the members;
- user_list_members.subscribed_at (the fan's, copied) with an index in the listing order, so a
  custom list pages from its members instead of scanning the account's fans;
- fans: one covering index in the listing order (account, subscribed_at DESC, id DESC, and the
  columns the status and system-list filters test) replaces (account, subscribed_at), which it
  makes redundant; (account, expires_at) gains auto_renew so the tallies' edge counts are index-only.
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_FAN_ORDER: list[str | sa.TextClause] = ['account_id', sa.text('subscribed_at DESC'), sa.text('id DESC'), 'expires_at', 'auto_renew',
              'following', 'muted', 'tagged', 'friend']


def upgrade() -> None:
    op.create_table('fan_tallies',
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('fans', sa.BigInteger(), nullable=False),
    sa.Column('auto_renew', sa.BigInteger(), nullable=False),
    sa.Column('following', sa.BigInteger(), nullable=False),
    sa.Column('muted', sa.BigInteger(), nullable=False),
    sa.Column('tagged', sa.BigInteger(), nullable=False),
    sa.Column('friends', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_fan_tallies_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_fan_tallies'))
    )
    op.create_table('fan_expiry_tallies',
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('auto_renew', sa.Boolean(), nullable=False),
    sa.Column('fans', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                            name=op.f('fk_fan_expiry_tallies_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'day', 'auto_renew', name=op.f('pk_fan_expiry_tallies'))
    )

    # Indexes with DESC columns are made outside batch mode: batch's table copy cannot carry them.
    op.drop_index('ix_fans_account_subscribed', table_name='fans')
    op.drop_index('ix_fans_account_expires', table_name='fans')
    op.create_index('ix_fans_account_order', 'fans', _FAN_ORDER, unique=False)
    op.create_index('ix_fans_account_expiry', 'fans', ['account_id', 'expires_at', 'auto_renew'], unique=False)

    with op.batch_alter_table('user_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_count', sa.BigInteger(), server_default='0', nullable=False))
    op.execute("UPDATE user_lists SET member_count = "
               "(SELECT count(*) FROM user_list_members m WHERE m.list_id = user_lists.id)")

    op.add_column('user_list_members', sa.Column('subscribed_at', massdm.store.types.UTCDateTime(), nullable=True))
    op.execute("UPDATE user_list_members SET subscribed_at = (SELECT f.subscribed_at FROM fans f "
               "WHERE f.account_id = user_list_members.account_id AND f.id = user_list_members.fan_id)")
    with op.batch_alter_table('user_list_members', schema=None) as batch_op:
        batch_op.alter_column('subscribed_at', existing_type=massdm.store.types.UTCDateTime(), nullable=False)
    op.create_index('ix_user_list_members_order', 'user_list_members',
                    ['list_id', sa.text('subscribed_at DESC'), sa.text('fan_id DESC')], unique=False)

    # The store's own recount (the same one bench/harness.py uses after raw inserts), one account at a
    # time: it writes only fan_tallies and fan_expiry_tallies, whose shape this revision defines.
    from massdm.store import fan_tallies

    connection = op.get_bind()
    accounts = connection.execute(sa.text("SELECT DISTINCT account_id FROM fans")).scalars().all()
    for account_id in accounts:
        fan_tallies.recount(connection, account_id)


def downgrade() -> None:
    op.drop_index('ix_user_list_members_order', table_name='user_list_members')
    with op.batch_alter_table('user_list_members', schema=None) as batch_op:
        batch_op.drop_column('subscribed_at')
    with op.batch_alter_table('user_lists', schema=None) as batch_op:
        batch_op.drop_column('member_count')
    op.drop_index('ix_fans_account_expiry', table_name='fans')
    op.drop_index('ix_fans_account_order', table_name='fans')
    op.create_index('ix_fans_account_expires', 'fans', ['account_id', 'expires_at'], unique=False)
    op.create_index('ix_fans_account_subscribed', 'fans', ['account_id', 'subscribed_at'], unique=False)
    op.drop_table('fan_expiry_tallies')
    op.drop_table('fan_tallies')
