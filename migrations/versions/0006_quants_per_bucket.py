"""stock_quant per bucket: a bin knows how much of what it holds is free, reserved, picked,
waiting for QC or rejected. The table is rebuilt from the ledger, which is the truth.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PHYSICAL = "'available', 'pending_qc', 'picked', 'rejected', 'reserved'"

# Every physical side of every ledger row, signed, summed per key.
FROM_LEDGER = """
INSERT INTO stock_quant (product_id, location_id, lot, {bucket_column}warehouse_id, quantity)
SELECT product_id, location_id, lot, {bucket_column}warehouse_id, ROUND(SUM(quantity), 4)
FROM (
    SELECT product_id, to_location_id AS location_id, lot, to_bucket AS bucket, warehouse_id,
           quantity
    FROM stock_ledger WHERE to_location_id IS NOT NULL
    UNION ALL
    SELECT product_id, from_location_id, lot, from_bucket, warehouse_id, -quantity
    FROM stock_ledger WHERE from_location_id IS NOT NULL
) AS sides
GROUP BY product_id, location_id, lot, {bucket_column}warehouse_id
HAVING ROUND(SUM(quantity), 4) <> 0
"""


def _create(per_bucket: bool) -> None:
    key = ["product_id", "location_id", "lot"] + (["bucket"] if per_bucket else [])
    bucket = [sa.Column("bucket", sa.String(length=16), nullable=False)] if per_bucket else []
    checks = ([sa.CheckConstraint(f"bucket IN ({PHYSICAL})",
                                  name=op.f("ck_stock_quant_physical_bucket"))]
              if per_bucket else [])
    op.create_table(
        "stock_quant",
        sa.Column("product_id", ID, nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        *bucket,
        sa.Column("warehouse_id", ID, nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_quant_quantity_not_negative")),
        *checks,
        sa.ForeignKeyConstraint(["location_id"], ["location.id"],
                                name=op.f("fk_stock_quant_location_id_location"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"],
                                name=op.f("fk_stock_quant_product_id_product"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouse.id"],
                                name=op.f("fk_stock_quant_warehouse_id_warehouse"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_stock_quant")),
    )
    op.create_index("ix_stock_quant_location_id", "stock_quant", ["location_id"])
    op.create_index("ix_stock_quant_product_id_warehouse_id", "stock_quant",
                    ["product_id", "warehouse_id"])
    op.execute(FROM_LEDGER.format(bucket_column="bucket, " if per_bucket else ""))


def _drop() -> None:
    op.drop_index("ix_stock_quant_product_id_warehouse_id", table_name="stock_quant")
    op.drop_index("ix_stock_quant_location_id", table_name="stock_quant")
    op.drop_table("stock_quant")


def upgrade() -> None:
    _drop()
    _create(per_bucket=True)


def downgrade() -> None:
    _drop()
    _create(per_bucket=False)
