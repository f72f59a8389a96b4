"""fan spend: what each fan spent and whether it is online, for filter[...] on the fan listings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

- fans.online, purchases_cents, tips_cents, subscriptions_cents, total_spent_cents (server defaults:
  offline, nothing spent) and term_seconds (expires_at - subscribed_at in whole seconds, NULL when
  open-ended), back-filled: purchases from the purchase rows, terms from the dates;
- fan_spend_versions: bumped by every purchase, so page marks of spend-filtered listings know;
- ix_fans_account_order gains online, total_spent_cents, tips_cents and term_seconds, so every
  targeting filter is tested in the index that pages skip and seek in; ix_fans_account_spend and
  ix_fans_account_tips (account, amount) hold the narrow ranges a page of rare spenders is read from.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_OLD_ORDER: list[str | sa.TextClause] = ['account_id', sa.text('subscribed_at DESC'), sa.text('id DESC'), 'expires_at',
                                         'auto_renew', 'following', 'muted', 'tagged', 'friend']
_NEW_ORDER = [*_OLD_ORDER, 'online', 'total_spent_cents', 'tips_cents', 'term_seconds']

# floor(expires_at - subscribed_at) in seconds, exactly: both backends store naive UTC; SQLite as text
# 'YYYY-MM-DD HH:MM:SS.ffffff', whose whole seconds strftime reads and whose microseconds follow at 21.
_TERM = {
    'sqlite': ("CAST(strftime('%s', expires_at) AS INTEGER) - CAST(strftime('%s', subscribed_at) AS INTEGER)"
               " - (CAST(substr(expires_at, 21) AS INTEGER) < CAST(substr(subscribed_at, 21) AS INTEGER))"),
    'postgresql': "CAST(floor(extract(epoch FROM expires_at - subscribed_at)) AS BIGINT)",
}


def upgrade() -> None:
    op.add_column('fans', sa.Column('online', sa.Boolean(), server_default=sa.false(), nullable=False))
    for name in ('purchases_cents', 'tips_cents', 'subscriptions_cents', 'total_spent_cents'):
        op.add_column('fans', sa.Column(name, sa.BigInteger(), server_default='0', nullable=False))
    op.add_column('fans', sa.Column('term_seconds', sa.BigInteger(), nullable=True))
    op.create_table('fan_spend_versions',
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_fan_spend_versions_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_fan_spend_versions'))
    )

    op.execute("UPDATE fans SET purchases_cents = bought.cents, total_spent_cents = bought.cents "
               "FROM (SELECT account_id, fan_id, sum(amount_cents) AS cents FROM purchases "
               "GROUP BY account_id, fan_id) AS bought "
               "WHERE fans.account_id = bought.account_id AND fans.id = bought.fan_id")
    op.execute(f"UPDATE fans SET term_seconds = {_TERM[op.get_bind().dialect.name]} WHERE expires_at IS NOT NULL")

    # Indexes with DESC columns are made outside batch mode: batch's table copy cannot carry them.
    op.drop_index('ix_fans_account_order', table_name='fans')
    op.create_index('ix_fans_account_order', 'fans', _NEW_ORDER, unique=False)
    op.create_index('ix_fans_account_spend', 'fans', ['account_id', 'total_spent_cents'], unique=False)
    op.create_index('ix_fans_account_tips', 'fans', ['account_id', 'tips_cents'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fans_account_tips', table_name='fans')
    op.drop_index('ix_fans_account_spend', table_name='fans')
    op.drop_index('ix_fans_account_order', table_name='fans')
    op.drop_table('fan_spend_versions')
    with op.batch_alter_table('fans', schema=None) as batch_op:
        for name in ('term_seconds', 'total_spent_cents', 'subscriptions_cents', 'tips_cents', 'purchases_cents',
                     'online'):
            batch_op.drop_column(name)
    op.create_index('ix_fans_account_order', 'fans', _OLD_ORDER, unique=False)
