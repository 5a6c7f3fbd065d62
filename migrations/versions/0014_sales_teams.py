"""sales: sales teams and their members

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sales_team',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_team')),
    sa.UniqueConstraint('code', name=op.f('uq_sales_team_code'))
    )
    op.create_table('sales_team_member',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['sales_team.id'], name=op.f('fk_sales_team_member_team_id_sales_team'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_sales_team_member_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_sales_team_member'))
    )
    with op.batch_alter_table('sales_team_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_team_member_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sales_team_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_team_member_team_id'))
    op.drop_table('sales_team_member')
    op.drop_table('sales_team')
