"""fans keep when they were last online (the user object's lastSeen)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa

from massdm.store.types import UTCDateTime


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fans', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
