"""web console: sign-in sessions and one-time links (by API key), and the team's credits used

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import massdm.store.types


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.add_column('teams', sa.Column('credits_used', sa.BigInteger(), nullable=False, server_default='0'))
    op.create_table(
        'console_sessions',
        sa.Column('id', _ID, primary_key=True, autoincrement=True),
        sa.Column('token_hash', sa.String(64), nullable=False, unique=True),
        sa.Column('key_id', _ID, sa.ForeignKey('api_keys.id', ondelete='CASCADE'), nullable=False),
        sa.Column('csrf_token', sa.String(64), nullable=False),
        sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
        sa.Column('expires_at', massdm.store.types.UTCDateTime(), nullable=False),
        sa.Column('ended_at', massdm.store.types.UTCDateTime(), nullable=True),
    )
    op.create_index('ix_console_sessions_key_id', 'console_sessions', ['key_id'])
    op.create_table(
        'console_links',
        sa.Column('id', _ID, primary_key=True, autoincrement=True),
        sa.Column('token_hash', sa.String(64), nullable=False, unique=True),
        sa.Column('key_id', _ID, sa.ForeignKey('api_keys.id', ondelete='CASCADE'), nullable=False),
        sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
        sa.Column('expires_at', massdm.store.types.UTCDateTime(), nullable=False),
        sa.Column('used_at', massdm.store.types.UTCDateTime(), nullable=True),
    )
    op.create_index('ix_console_links_key_id', 'console_links', ['key_id'])


def downgrade() -> None:
    op.drop_table('console_links')
    op.drop_table('console_sessions')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('credits_used')
