"""sales

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 08:06:45.597921
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_lot",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("first_received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_stock_lot_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("product_id", "lot", name=op.f("pk_stock_lot")),
    )
    op.create_table(
        "pick_list",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "state IN ('open', 'picked', 'shipped', 'cancelled')",
            name=op.f("ck_pick_list_known_state"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_pick_list_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_pick_list_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_list")),
        sa.UniqueConstraint("number", name=op.f("uq_pick_list_number")),
    )
    with op.batch_alter_table("pick_list", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pick_list_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pick_list_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "sales_order",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column(
            "salesperson_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("shortage_policy", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "shortage_policy IN ('reject', 'backorder')",
            name=op.f("ck_sales_order_known_shortage_policy"),
        ),
        sa.CheckConstraint(
            "state IN ('open', 'partially_shipped', 'shipped', 'cancelled')",
            name=op.f("ck_sales_order_known_state"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_sales_order_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_sales_order_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["salesperson_id"], ["app_user.id"], name=op.f("fk_sales_order_salesperson_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_sales_order_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_order")),
        sa.UniqueConstraint("number", name=op.f("uq_sales_order_number")),
    )
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_order_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sales_order_region"), ["region"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sales_order_salesperson_id"), ["salesperson_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sales_order_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sales_order_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "shipment",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "pick_list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("carrier", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=False),
        sa.Column(
            "shipped_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pick_list_id"], ["pick_list.id"], name=op.f("fk_shipment_pick_list_id_pick_list")
        ),
        sa.ForeignKeyConstraint(
            ["shipped_by_id"], ["app_user.id"], name=op.f("fk_shipment_shipped_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_shipment_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
        sa.UniqueConstraint("number", name=op.f("uq_shipment_number")),
    )
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipment_pick_list_id"), ["pick_list_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shipment_shipped_at"), ["shipped_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shipment_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "sales_order_line",
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("requested_date", sa.Date(), nullable=True),
        sa.Column("reserved_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("backordered_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("picked_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("shipped_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("expected_unit_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sales_order_line_quantity_positive")),
        sa.CheckConstraint(
            "reserved_quantity + backordered_quantity + picked_quantity + shipped_quantity <= quantity",
            name=op.f("ck_sales_order_line_progress_within_quantity"),
        ),
        sa.CheckConstraint(
            "reserved_quantity >= 0 AND backordered_quantity >= 0 AND picked_quantity >= 0 AND shipped_quantity >= 0",
            name=op.f("ck_sales_order_line_progress_not_negative"),
        ),
        sa.CheckConstraint(
            "unit_price >= 0", name=op.f("ck_sales_order_line_unit_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
            name=op.f("fk_sales_order_line_order_id_sales_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_sales_order_line_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_order_line")),
        sa.UniqueConstraint(
            "order_id", "line_no", name=op.f("uq_sales_order_line_order_id_line_no")
        ),
    )
    with op.batch_alter_table("sales_order_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_order_line_backordered_quantity"),
            ["backordered_quantity"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sales_order_line_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_order_line_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "sales_reservation",
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "quantity >= 0", name=op.f("ck_sales_reservation_quantity_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_sales_reservation_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["sales_order_line.id"],
            name=op.f("fk_sales_reservation_order_line_id_sales_order_line"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_sales_reservation_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_sales_reservation_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_reservation")),
        sa.UniqueConstraint(
            "order_line_id",
            "location_id",
            "lot",
            name=op.f("uq_sales_reservation_order_line_id_location_id_lot"),
        ),
    )
    with op.batch_alter_table("sales_reservation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_reservation_location_id"), ["location_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_reservation_order_line_id"), ["order_line_id"], unique=False
        )

    op.create_table(
        "shipment_line",
        sa.Column(
            "shipment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["sales_order_line.id"],
            name=op.f("fk_shipment_line_order_line_id_sales_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_shipment_line_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipment.id"],
            name=op.f("fk_shipment_line_shipment_id_shipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_line")),
    )
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipment_line_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shipment_line_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shipment_line_shipment_id"), ["shipment_id"], unique=False
        )

    op.create_table(
        "pick_list_line",
        sa.Column(
            "pick_list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("picked_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("short_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("short_reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('open', 'picked', 'short')", name=op.f("ck_pick_list_line_known_status")
        ),
        sa.CheckConstraint(
            "picked_quantity >= 0 AND short_quantity >= 0 AND picked_quantity + short_quantity <= quantity",
            name=op.f("ck_pick_list_line_progress_within_quantity"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_pick_list_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_pick_list_line_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["sales_order_line.id"],
            name=op.f("fk_pick_list_line_order_line_id_sales_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["pick_list_id"],
            ["pick_list.id"],
            name=op.f("fk_pick_list_line_pick_list_id_pick_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_pick_list_line_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["warehouse_task.id"],
            name=op.f("fk_pick_list_line_task_id_warehouse_task"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_list_line")),
        sa.UniqueConstraint(
            "pick_list_id", "line_no", name=op.f("uq_pick_list_line_pick_list_id_line_no")
        ),
    )
    with op.batch_alter_table("pick_list_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pick_list_line_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pick_list_line_pick_list_id"), ["pick_list_id"], unique=False
        )

    # Existing products are not make-to-order; the default only fills them in.
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("make_to_order", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.alter_column("make_to_order", server_default=None)
    _task_kinds("'qc', 'putaway', 'pick'")
    # Lots already received: their expiry and first arrival, for FEFO / FIFO picking.
    op.execute(
        "INSERT INTO stock_lot (product_id, lot, expiry, first_received_at) "
        "SELECT receipt_line.product_id, receipt_line.lot, MIN(receipt_line.expiry), "
        "MIN(receipt.received_at) FROM receipt_line JOIN receipt ON receipt.id = "
        "receipt_line.receipt_id WHERE receipt_line.lot <> '' "
        "GROUP BY receipt_line.product_id, receipt_line.lot"
    )


def _task_kinds(kinds: str) -> None:
    with op.batch_alter_table("warehouse_task", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_warehouse_task_known_kind"), type_="check")
        batch_op.create_check_constraint("known_kind", f"kind IN ({kinds})")


def downgrade() -> None:
    op.execute("DELETE FROM warehouse_task WHERE kind = 'pick'")
    _task_kinds("'qc', 'putaway'")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("make_to_order")

    with op.batch_alter_table("pick_list_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pick_list_line_pick_list_id"))
        batch_op.drop_index(batch_op.f("ix_pick_list_line_order_line_id"))

    op.drop_table("pick_list_line")
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_line_shipment_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_line_product_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_line_order_line_id"))

    op.drop_table("shipment_line")
    with op.batch_alter_table("sales_reservation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_reservation_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_sales_reservation_location_id"))

    op.drop_table("sales_reservation")
    with op.batch_alter_table("sales_order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_order_line_product_id"))
        batch_op.drop_index(batch_op.f("ix_sales_order_line_order_id"))
        batch_op.drop_index(batch_op.f("ix_sales_order_line_backordered_quantity"))

    op.drop_table("sales_order_line")
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_shipped_at"))
        batch_op.drop_index(batch_op.f("ix_shipment_pick_list_id"))

    op.drop_table("shipment")
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_order_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_sales_order_state"))
        batch_op.drop_index(batch_op.f("ix_sales_order_salesperson_id"))
        batch_op.drop_index(batch_op.f("ix_sales_order_region"))
        batch_op.drop_index(batch_op.f("ix_sales_order_customer_id"))

    op.drop_table("sales_order")
    with op.batch_alter_table("pick_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pick_list_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_pick_list_state"))

    op.drop_table("pick_list")
    op.drop_table("stock_lot")
