"""finance: supplier invoices, customer invoices, payments, policy

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 11:19:42.269789
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finance_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_tolerance_pct", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("quantity_tolerance_pct", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("approval_threshold", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "approval_threshold >= 0", name=op.f("ck_finance_policy_threshold_not_negative")
        ),
        sa.CheckConstraint(
            "payment_terms_days >= 0", name=op.f("ck_finance_policy_terms_not_negative")
        ),
        sa.CheckConstraint(
            "price_tolerance_pct >= 0 AND quantity_tolerance_pct >= 0",
            name=op.f("ck_finance_policy_tolerances_not_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_policy")),
    )
    op.create_table(
        "supplier_invoice",
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "state IN ('matched', 'variance', 'pending_approval', 'approved', 'rejected')",
            name=op.f("ck_supplier_invoice_known_state"),
        ),
        sa.CheckConstraint("tax >= 0", name=op.f("ck_supplier_invoice_tax_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_supplier_invoice_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_supplier_invoice_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_invoice")),
        sa.UniqueConstraint(
            "supplier_id",
            "invoice_number",
            name=op.f("uq_supplier_invoice_supplier_id_invoice_number"),
        ),
    )
    with op.batch_alter_table("supplier_invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_invoice_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_supplier_invoice_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "payment",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column(
            "recorded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_payment_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_payment_recorded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("number", name=op.f("uq_payment_number")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "customer_invoice",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "shipment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "salesperson_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("paid_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "state IN ('open', 'partially_paid', 'paid')",
            name=op.f("ck_customer_invoice_known_state"),
        ),
        sa.CheckConstraint(
            "paid_amount >= 0 AND paid_amount <= total",
            name=op.f("ck_customer_invoice_paid_within_total"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_invoice_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["salesperson_id"],
            ["app_user.id"],
            name=op.f("fk_customer_invoice_salesperson_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipment.id"], name=op.f("fk_customer_invoice_shipment_id_shipment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_customer_invoice_number")),
        sa.UniqueConstraint("shipment_id", name=op.f("uq_customer_invoice_shipment_id")),
    )
    with op.batch_alter_table("customer_invoice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_invoice_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_invoice_salesperson_id"), ["salesperson_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_invoice_state"), ["state"], unique=False)

    op.create_table(
        "supplier_invoice_line",
        sa.Column(
            "invoice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("ordered_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("accepted_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("order_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("result", sa.String(length=24), nullable=False),
        sa.Column("price_variance", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("quantity_variance", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "result IN ('matched', 'price_variance', 'quantity_variance', 'not_received')",
            name=op.f("ck_supplier_invoice_line_known_result"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_supplier_invoice_line_quantity_positive")),
        sa.CheckConstraint(
            "unit_price >= 0", name=op.f("ck_supplier_invoice_line_unit_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["supplier_invoice.id"],
            name=op.f("fk_supplier_invoice_line_invoice_id_supplier_invoice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_supplier_invoice_line_order_line_id_purchase_order_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_invoice_line")),
        sa.UniqueConstraint(
            "invoice_id", "line_no", name=op.f("uq_supplier_invoice_line_invoice_id_line_no")
        ),
    )
    with op.batch_alter_table("supplier_invoice_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_invoice_line_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supplier_invoice_line_order_line_id"), ["order_line_id"], unique=False
        )

    op.create_table(
        "payment_allocation",
        sa.Column(
            "payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
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
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_allocation_amount_positive")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["customer_invoice.id"],
            name=op.f("fk_payment_allocation_invoice_id_customer_invoice"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_payment_allocation_payment_id_payment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_allocation")),
        sa.UniqueConstraint(
            "payment_id", "invoice_id", name=op.f("uq_payment_allocation_payment_id_invoice_id")
        ),
    )
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_allocation_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_allocation_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "customer_invoice_line",
        sa.Column(
            "invoice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "shipment_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["customer_invoice.id"],
            name=op.f("fk_customer_invoice_line_invoice_id_customer_invoice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_customer_invoice_line_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_line_id"],
            ["shipment_line.id"],
            name=op.f("fk_customer_invoice_line_shipment_line_id_shipment_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_invoice_line")),
        sa.UniqueConstraint(
            "invoice_id", "line_no", name=op.f("uq_customer_invoice_line_invoice_id_line_no")
        ),
    )
    with op.batch_alter_table("customer_invoice_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_invoice_line_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_invoice_line_product_id"), ["product_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_invoice_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_invoice_line_product_id"))
        batch_op.drop_index(batch_op.f("ix_customer_invoice_line_invoice_id"))

    op.drop_table("customer_invoice_line")
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_allocation_payment_id"))
        batch_op.drop_index(batch_op.f("ix_payment_allocation_invoice_id"))

    op.drop_table("payment_allocation")
    with op.batch_alter_table("supplier_invoice_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_invoice_line_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_invoice_line_invoice_id"))

    op.drop_table("supplier_invoice_line")
    with op.batch_alter_table("customer_invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_invoice_state"))
        batch_op.drop_index(batch_op.f("ix_customer_invoice_salesperson_id"))
        batch_op.drop_index(batch_op.f("ix_customer_invoice_customer_id"))

    op.drop_table("customer_invoice")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_customer_id"))

    op.drop_table("payment")
    with op.batch_alter_table("supplier_invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_invoice_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_invoice_state"))

    op.drop_table("supplier_invoice")
    op.drop_table("finance_policy")
