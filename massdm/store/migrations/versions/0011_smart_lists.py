"""smart lists: a custom list defined by a filter, and the index its purchase windows probe

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09

- user_lists.filter: a smart list's filter (JSON, domain.smart_lists); NULL for a list of members;
- ix_purchases_account_fan_time (account, fan, purchased_at): "bought (or not) within N days" is
  one probe per fan. The delivery window ("not messaged within N hours") probes ix_deliveries_fan
  (fan, delivered_at), which exists; deliveries get no new index (it would slow every fan-out).
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filter', sa.JSON(), nullable=True))
    op.create_index('ix_purchases_account_fan_time', 'purchases', ['account_id', 'fan_id', 'purchased_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_purchases_account_fan_time', table_name='purchases')
    with op.batch_alter_table('user_lists', schema=None) as batch_op:
        batch_op.drop_column('filter')
