"""vault management: media deleted from the vault, and vault lists of media

Deleted media keep their row (and files) for the messages that hold them, marked `deleted_at`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa

import massdm.store.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', massdm.store.types.UTCDateTime(), nullable=True))

    op.create_table('vault_lists',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=37), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_vault_lists_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vault_lists'))
    )
    with op.batch_alter_table('vault_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vault_lists_account_id'), ['account_id'], unique=False)

    op.create_table('vault_list_media',
    sa.Column('list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('media_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('added_at', massdm.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['vault_lists.id'], name=op.f('fk_vault_list_media_list_id_vault_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_vault_list_media_media_id_media'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'media_id', name=op.f('pk_vault_list_media'))
    )
    with op.batch_alter_table('vault_list_media', schema=None) as batch_op:
        batch_op.create_index('ix_vault_list_media_media', ['media_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('vault_list_media', schema=None) as batch_op:
        batch_op.drop_index('ix_vault_list_media_media')
    op.drop_table('vault_list_media')
    with op.batch_alter_table('vault_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vault_lists_account_id'))
    op.drop_table('vault_lists')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
