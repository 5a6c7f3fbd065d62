"""shipment lines keep the id of the SH ledger row they posted, backfilled from the ledger; the
reports meet a line and its COGS by that key

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# A shipment posted one SH row per line, its document_line the line's place in the shipment
# (the lines in id order); both databases run UPDATE ... FROM with a window.
BACKFILL = """
UPDATE shipment_line SET stock_ledger_id = posted.ledger_id
FROM (
  SELECT numbered.id AS line_id, ledger.id AS ledger_id
  FROM (SELECT id, shipment_id,
               row_number() OVER (PARTITION BY shipment_id ORDER BY id) AS place
        FROM shipment_line) AS numbered
  JOIN shipment ON shipment.id = numbered.shipment_id
  JOIN stock_ledger AS ledger ON ledger.document_type = 'SH'
   AND ledger.document_number = shipment.number AND ledger.document_line = numbered.place
) AS posted
WHERE shipment_line.id = posted.line_id
"""


def upgrade() -> None:
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "stock_ledger_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_shipment_line_stock_ledger_id_stock_ledger"), "stock_ledger",
            ["stock_ledger_id"], ["id"])
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_shipment_line_stock_ledger_id_stock_ledger"), type_="foreignkey")
        batch_op.drop_column("stock_ledger_id")
