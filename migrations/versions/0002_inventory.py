"""inventory: stock ledger, positions, quants and moving-average cost

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_cost",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("valued_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("average_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "average_cost >= 0", name=op.f("ck_stock_cost_average_cost_not_negative")
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_stock_cost_value_not_negative")),
        sa.CheckConstraint(
            "valued_quantity >= 0", name=op.f("ck_stock_cost_valued_quantity_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_stock_cost_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_stock_cost_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("product_id", "warehouse_id", name=op.f("pk_stock_cost")),
    )
    op.create_table(
        "stock_position",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "bucket IN ('on_order', 'in_transit', 'pending_qc', 'available', 'reserved', 'picked', 'rejected', 'backordered')",
            name=op.f("ck_stock_position_known_bucket"),
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_position_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_stock_position_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_stock_position_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "product_id", "warehouse_id", "bucket", name=op.f("pk_stock_position")
        ),
    )
    op.create_table(
        "stock_ledger",
        sa.Column("posting_id", sa.String(length=32), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("from_bucket", sa.String(length=16), nullable=True),
        sa.Column("to_bucket", sa.String(length=16), nullable=True),
        sa.Column(
            "from_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "to_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("document_type", sa.String(length=16), nullable=False),
        sa.Column("document_number", sa.String(length=64), nullable=True),
        sa.Column("document_line", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column(
            "actor_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "(from_location_id IS NOT NULL) = (from_bucket IS NOT NULL AND from_bucket IN ('available', 'pending_qc', 'picked', 'rejected', 'reserved'))",
            name=op.f("ck_stock_ledger_from_location_iff_physical"),
        ),
        sa.CheckConstraint(
            "(to_location_id IS NOT NULL) = (to_bucket IS NOT NULL AND to_bucket IN ('available', 'pending_qc', 'picked', 'rejected', 'reserved'))",
            name=op.f("ck_stock_ledger_to_location_iff_physical"),
        ),
        sa.CheckConstraint(
            "from_bucket IN ('on_order', 'in_transit', 'pending_qc', 'available', 'reserved', 'picked', 'rejected', 'backordered')",
            name=op.f("ck_stock_ledger_known_from_bucket"),
        ),
        sa.CheckConstraint(
            "to_bucket IN ('on_order', 'in_transit', 'pending_qc', 'available', 'reserved', 'picked', 'rejected', 'backordered')",
            name=op.f("ck_stock_ledger_known_to_bucket"),
        ),
        sa.CheckConstraint(
            "from_bucket IS NOT NULL OR to_bucket IS NOT NULL",
            name=op.f("ck_stock_ledger_has_a_bucket"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_ledger_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["app_user.id"],
            name=op.f("fk_stock_ledger_actor_user_id_app_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["location.id"],
            name=op.f("fk_stock_ledger_from_location_id_location"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_stock_ledger_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["location.id"],
            name=op.f("fk_stock_ledger_to_location_id_location"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_stock_ledger_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_ledger")),
    )
    with op.batch_alter_table("stock_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_ledger_document_number"), ["document_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stock_ledger_posting_id"), ["posting_id"], unique=False
        )
        batch_op.create_index(
            "ix_stock_ledger_product_id_warehouse_id_id",
            ["product_id", "warehouse_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_stock_ledger_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "stock_quant",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_quant_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_stock_quant_location_id_location"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_stock_quant_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_stock_quant_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("product_id", "location_id", "lot", name=op.f("pk_stock_quant")),
    )
    with op.batch_alter_table("stock_quant", schema=None) as batch_op:
        batch_op.create_index("ix_stock_quant_location_id", ["location_id"], unique=False)
        batch_op.create_index(
            "ix_stock_quant_product_id_warehouse_id", ["product_id", "warehouse_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_quant", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_quant_product_id_warehouse_id")
        batch_op.drop_index("ix_stock_quant_location_id")

    op.drop_table("stock_quant")
    with op.batch_alter_table("stock_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_ledger_warehouse_id"))
        batch_op.drop_index("ix_stock_ledger_product_id_warehouse_id_id")
        batch_op.drop_index(batch_op.f("ix_stock_ledger_posting_id"))
        batch_op.drop_index(batch_op.f("ix_stock_ledger_document_number"))

    op.drop_table("stock_ledger")
    op.drop_table("stock_position")
    op.drop_table("stock_cost")
