"""product tags

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 09:28:07.305071
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing products start without tags; the default only fills them in.
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tags", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.alter_column("tags", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("tags")
