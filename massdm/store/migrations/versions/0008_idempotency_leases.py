"""idempotency keys: a claim token and a short, renewed lease for requests in flight

A key's response now commits with the request's effect; a claim whose holder died runs out
within seconds instead of blocking the key for ten minutes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('lease_until', massdm.store.types.UTCDateTime(), nullable=True))
    # Claims of the old kind had no lease: they are free now (their attempts never stored an answer).
    op.execute("DELETE FROM idempotency_keys WHERE state = 'in_flight'")


def downgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claim_token')
