"""deliveries without a foreign key: the fan-out's hot insert skips a parent lookup per row

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_deliveries_message_id_mass_messages', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_deliveries_message_id_mass_messages', 'mass_messages', ['message_id'], ['id'],
                                    ondelete='CASCADE')
