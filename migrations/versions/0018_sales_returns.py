"""sales returns: returns, their receipts and inspections; customer credit notes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:27:36.058001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales_return",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
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
            "state IN ('open', 'partially_received', 'received', 'closed')",
            name=op.f("ck_sales_return_known_state"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_sales_return_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_sales_return_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name=op.f("fk_sales_return_order_id_sales_order")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_sales_return_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_return")),
        sa.UniqueConstraint("number", name=op.f("uq_sales_return_number")),
    )
    with op.batch_alter_table("sales_return", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_return_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_return_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sales_return_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_return_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sales_return_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "sales_return_line",
        sa.Column(
            "return_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("received_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("restocked_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("scrapped_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sales_return_line_quantity_positive")),
        sa.CheckConstraint(
            "received_quantity >= 0 AND received_quantity <= quantity",
            name=op.f("ck_sales_return_line_received_within_quantity"),
        ),
        sa.CheckConstraint(
            "restocked_quantity >= 0 AND scrapped_quantity >= 0 AND restocked_quantity + scrapped_quantity <= received_quantity",
            name=op.f("ck_sales_return_line_decided_within_received"),
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["sales_order_line.id"],
            name=op.f("fk_sales_return_line_order_line_id_sales_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_sales_return_line_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["sales_return.id"],
            name=op.f("fk_sales_return_line_return_id_sales_return"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_return_line")),
        sa.UniqueConstraint(
            "return_id", "line_no", name=op.f("uq_sales_return_line_return_id_line_no")
        ),
    )
    with op.batch_alter_table("sales_return_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_return_line_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_return_line_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_return_line_return_id"), ["return_id"], unique=False
        )

    op.create_table(
        "sales_return_receipt",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "return_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("document_scan", sa.String(length=200), nullable=False),
        sa.Column(
            "received_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_sales_return_receipt_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["app_user.id"],
            name=op.f("fk_sales_return_receipt_received_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["sales_return.id"],
            name=op.f("fk_sales_return_receipt_return_id_sales_return"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_sales_return_receipt_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_return_receipt")),
        sa.UniqueConstraint("number", name=op.f("uq_sales_return_receipt_number")),
    )
    with op.batch_alter_table("sales_return_receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_return_receipt_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_return_receipt_return_id"), ["return_id"], unique=False
        )

    op.create_table(
        "customer_credit_note",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "return_receipt_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("credit_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("applied_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "applied_amount >= 0 AND applied_amount <= total",
            name=op.f("ck_customer_credit_note_applied_within_total"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_customer_credit_note_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["return_receipt_id"],
            ["sales_return_receipt.id"],
            name=op.f("fk_customer_credit_note_return_receipt_id_sales_return_receipt"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_credit_note")),
        sa.UniqueConstraint("number", name=op.f("uq_customer_credit_note_number")),
        sa.UniqueConstraint(
            "return_receipt_id", name=op.f("uq_customer_credit_note_return_receipt_id")
        ),
    )
    with op.batch_alter_table("customer_credit_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_credit_note_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "customer_credit_application",
        sa.Column(
            "credit_note_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "invoice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "amount > 0", name=op.f("ck_customer_credit_application_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["customer_credit_note.id"],
            name=op.f("fk_customer_credit_application_credit_note_id_customer_credit_note"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["customer_invoice.id"],
            name=op.f("fk_customer_credit_application_invoice_id_customer_invoice"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_credit_application")),
        sa.UniqueConstraint(
            "credit_note_id",
            "invoice_id",
            name=op.f("uq_customer_credit_application_credit_note_id_invoice_id"),
        ),
    )
    with op.batch_alter_table("customer_credit_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_credit_application_credit_note_id"),
            ["credit_note_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_customer_credit_application_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "sales_return_receipt_line",
        sa.Column(
            "receipt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "return_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_sales_return_receipt_line_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_sales_return_receipt_line_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["sales_return_receipt.id"],
            name=op.f("fk_sales_return_receipt_line_receipt_id_sales_return_receipt"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["return_line_id"],
            ["sales_return_line.id"],
            name=op.f("fk_sales_return_receipt_line_return_line_id_sales_return_line"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["warehouse_task.id"],
            name=op.f("fk_sales_return_receipt_line_task_id_warehouse_task"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_return_receipt_line")),
        sa.UniqueConstraint(
            "receipt_id", "line_no", name=op.f("uq_sales_return_receipt_line_receipt_id_line_no")
        ),
        sa.UniqueConstraint("task_id", name=op.f("uq_sales_return_receipt_line_task_id")),
    )
    with op.batch_alter_table("sales_return_receipt_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_return_receipt_line_receipt_id"), ["receipt_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_return_receipt_line_return_line_id"),
            ["return_line_id"],
            unique=False,
        )

    op.create_table(
        "sales_return_inspection",
        sa.Column(
            "receipt_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "return_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("restocked_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("scrapped_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "rejected_location_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "inspector_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "restocked_quantity >= 0 AND scrapped_quantity >= 0 AND restocked_quantity + scrapped_quantity > 0",
            name=op.f("ck_sales_return_inspection_decides_something"),
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"],
            ["app_user.id"],
            name=op.f("fk_sales_return_inspection_inspector_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_line_id"],
            ["sales_return_receipt_line.id"],
            name=op.f("fk_sales_return_inspection_receipt_line_id_sales_return_receipt_line"),
        ),
        sa.ForeignKeyConstraint(
            ["rejected_location_id"],
            ["location.id"],
            name=op.f("fk_sales_return_inspection_rejected_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["return_line_id"],
            ["sales_return_line.id"],
            name=op.f("fk_sales_return_inspection_return_line_id_sales_return_line"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["warehouse_task.id"],
            name=op.f("fk_sales_return_inspection_task_id_warehouse_task"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_return_inspection")),
    )
    with op.batch_alter_table("sales_return_inspection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_return_inspection_decided_at"), ["decided_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_return_inspection_receipt_line_id"),
            ["receipt_line_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sales_return_inspection_return_line_id"),
            ["return_line_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sales_return_inspection_task_id"), ["task_id"], unique=False
        )

    with op.batch_alter_table("customer_invoice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "credited_amount",
                sa.Numeric(precision=18, scale=4),
                server_default="0",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_invoice", schema=None) as batch_op:
        batch_op.drop_column("credited_amount")

    with op.batch_alter_table("sales_return_inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_return_inspection_task_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_inspection_return_line_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_inspection_receipt_line_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_inspection_decided_at"))

    op.drop_table("sales_return_inspection")
    with op.batch_alter_table("sales_return_receipt_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_return_receipt_line_return_line_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_receipt_line_receipt_id"))

    op.drop_table("sales_return_receipt_line")
    with op.batch_alter_table("customer_credit_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_credit_application_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_customer_credit_application_credit_note_id"))

    op.drop_table("customer_credit_application")
    with op.batch_alter_table("customer_credit_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_credit_note_customer_id"))

    op.drop_table("customer_credit_note")
    with op.batch_alter_table("sales_return_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_return_receipt_return_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_receipt_received_at"))

    op.drop_table("sales_return_receipt")
    with op.batch_alter_table("sales_return_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_return_line_return_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_line_product_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_line_order_line_id"))

    op.drop_table("sales_return_line")
    with op.batch_alter_table("sales_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_return_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_state"))
        batch_op.drop_index(batch_op.f("ix_sales_return_order_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_customer_id"))
        batch_op.drop_index(batch_op.f("ix_sales_return_created_at"))

    op.drop_table("sales_return")
