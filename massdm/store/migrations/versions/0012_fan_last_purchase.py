"""fans.last_purchase_at: the fan's latest purchase, so a smart list's purchase windows mostly read the fan row

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10

- fans.last_purchase_at (NULL: never bought), kept by every purchase in its own transaction
  (store.fan_spend) and back-filled from the purchase rows. A purchase window (at - N, at] is decided
  by it alone unless the fan bought after `at`; only then does the probe of
  ix_purchases_account_fan_time run (store.smart_lists).
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


# ix_fans_account_order as 0010 made it: batch mode's table copy cannot carry its DESC columns.
_ORDER: list[str | sa.TextClause] = ['account_id', sa.text('subscribed_at DESC'), sa.text('id DESC'), 'expires_at',
                                     'auto_renew', 'following', 'muted', 'tagged', 'friend', 'online',
                                     'total_spent_cents', 'tips_cents', 'term_seconds']


def upgrade() -> None:
    op.add_column('fans', sa.Column('last_purchase_at', massdm.store.types.UTCDateTime(), nullable=True))
    op.execute("UPDATE fans SET last_purchase_at = bought.latest "
               "FROM (SELECT account_id, fan_id, max(purchased_at) AS latest FROM purchases "
               "GROUP BY account_id, fan_id) AS bought "
               "WHERE fans.account_id = bought.account_id AND fans.id = bought.fan_id")


def downgrade() -> None:
    op.drop_index('ix_fans_account_order', table_name='fans')
    with op.batch_alter_table('fans', schema=None) as batch_op:
        batch_op.drop_column('last_purchase_at')
    op.create_index('ix_fans_account_order', 'fans', _ORDER, unique=False)
