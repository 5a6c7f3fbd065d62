"""shipment lines keep the value of the SH ledger row they posted (their COGS), backfilled from
that row; the margin report sums it without meeting the ledger

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# Lines whose ledger row 0020 did not find keep NULL, which the report counts as no cost, as
# it did the missing row.
BACKFILL = """
UPDATE shipment_line SET cogs = (
  SELECT ledger.value FROM stock_ledger AS ledger WHERE ledger.id = shipment_line.stock_ledger_id)
WHERE stock_ledger_id IS NOT NULL
"""


def upgrade() -> None:
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cogs", sa.Numeric(18, 4), nullable=True))
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.drop_column("cogs")
