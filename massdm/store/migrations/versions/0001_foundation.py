"""foundation: teams, accounts, keys, fans, user lists

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('credit_balance', sa.BigInteger(), nullable=False),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('slug', name=op.f('uq_teams_slug'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.String(length=37), nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('username', sa.String(length=200), nullable=False),
    sa.Column('onlyfans_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_accounts_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_team_id'), ['team_id'], unique=False)

    op.create_table('api_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_hint', sa.String(length=20), nullable=False),
    sa.Column('all_accounts', sa.Boolean(), nullable=False),
    sa.Column('limit_minute', sa.BigInteger(), nullable=False),
    sa.Column('limit_day', sa.BigInteger(), nullable=True),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_api_keys_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_team_id'), ['team_id'], unique=False)

    op.create_table('api_key_accounts',
    sa.Column('key_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_api_key_accounts_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_api_key_accounts_key_id_api_keys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key_id', 'account_id', name=op.f('pk_api_key_accounts'))
    )
    op.create_table('fans',
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('username', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('subscribed_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', massdm.store.types.UTCDateTime(), nullable=True),
    sa.Column('auto_renew', sa.Boolean(), nullable=False),
    sa.Column('following', sa.Boolean(), nullable=False),
    sa.Column('muted', sa.Boolean(), nullable=False),
    sa.Column('tagged', sa.Boolean(), nullable=False),
    sa.Column('friend', sa.Boolean(), nullable=False),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_fans_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'id', name=op.f('pk_fans'))
    )
    with op.batch_alter_table('fans', schema=None) as batch_op:
        batch_op.create_index('ix_fans_account_expires', ['account_id', 'expires_at'], unique=False)
        batch_op.create_index('ix_fans_account_subscribed', ['account_id', 'subscribed_at'], unique=False)

    op.create_table('user_lists',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('is_pinned_to_feed', sa.Boolean(), nullable=False),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_user_lists_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_lists'))
    )
    with op.batch_alter_table('user_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_lists_account_id'), ['account_id'], unique=False)

    op.create_table('user_list_members',
    sa.Column('list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fan_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('added_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id', 'fan_id'], ['fans.account_id', 'fans.id'], name='fk_user_list_members_fan', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['list_id'], ['user_lists.id'], name=op.f('fk_user_list_members_list_id_user_lists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'fan_id', name=op.f('pk_user_list_members'))
    )
    with op.batch_alter_table('user_list_members', schema=None) as batch_op:
        batch_op.create_index('ix_user_list_members_fan', ['account_id', 'fan_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('user_list_members', schema=None) as batch_op:
        batch_op.drop_index('ix_user_list_members_fan')

    op.drop_table('user_list_members')
    with op.batch_alter_table('user_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_lists_account_id'))

    op.drop_table('user_lists')
    with op.batch_alter_table('fans', schema=None) as batch_op:
        batch_op.drop_index('ix_fans_account_subscribed')
        batch_op.drop_index('ix_fans_account_expires')

    op.drop_table('fans')
    op.drop_table('api_key_accounts')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_team_id'))

    op.drop_table('api_keys')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_team_id'))

    op.drop_table('accounts')
    op.drop_table('teams')
