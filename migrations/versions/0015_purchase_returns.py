"""purchasing: purchase returns and their debit notes

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "purchase_return",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_comment", sa.Text(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending_approval', 'approved', 'shipped', 'rejected', 'cancelled')",
            name=op.f("ck_purchase_return_known_state"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_purchase_return_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_purchase_return_supplier_id_supplier")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_purchase_return_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_return")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_return_number")),
    )
    with op.batch_alter_table("purchase_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_return_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_purchase_return_supplier_id"), ["supplier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_return_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "debit_note",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "return_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("applied_amount", sa.Numeric(precision=18, scale=4), nullable=False),
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
            "amount >= 0 AND applied_amount >= 0 AND applied_amount <= amount",
            name=op.f("ck_debit_note_applied_within"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_debit_note_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["purchase_return.id"],
            name=op.f("fk_debit_note_return_id_purchase_return"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_debit_note_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debit_note")),
        sa.UniqueConstraint("number", name=op.f("uq_debit_note_number")),
        sa.UniqueConstraint("return_id", name=op.f("uq_debit_note_return_id")),
    )
    with op.batch_alter_table("debit_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_debit_note_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "purchase_return_line",
        sa.Column(
            "return_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("request_index", sa.Integer(), nullable=False),
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
        sa.Column("from_bucket", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "from_bucket IN ('available', 'rejected')",
            name=op.f("ck_purchase_return_line_known_from_bucket"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_return_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_purchase_return_line_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_purchase_return_line_order_line_id_purchase_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_purchase_return_line_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["purchase_return.id"],
            name=op.f("fk_purchase_return_line_return_id_purchase_return"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_return_line")),
        sa.UniqueConstraint(
            "return_id", "line_no", name=op.f("uq_purchase_return_line_return_id_line_no")
        ),
    )
    with op.batch_alter_table("purchase_return_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_return_line_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_return_line_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_return_line_return_id"), ["return_id"], unique=False
        )

    op.create_table(
        "debit_note_line",
        sa.Column(
            "debit_note_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "return_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "supplier_invoice_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("applied_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("applied_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "applied_quantity >= 0 AND applied_quantity <= quantity",
            name=op.f("ck_debit_note_line_applied_within"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_debit_note_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["debit_note_id"],
            ["debit_note.id"],
            name=op.f("fk_debit_note_line_debit_note_id_debit_note"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_debit_note_line_order_line_id_purchase_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["return_line_id"],
            ["purchase_return_line.id"],
            name=op.f("fk_debit_note_line_return_line_id_purchase_return_line"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_invoice_id"],
            ["supplier_invoice.id"],
            name=op.f("fk_debit_note_line_supplier_invoice_id_supplier_invoice"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debit_note_line")),
        sa.UniqueConstraint(
            "debit_note_id", "line_no", name=op.f("uq_debit_note_line_debit_note_id_line_no")
        ),
    )
    with op.batch_alter_table("debit_note_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_debit_note_line_debit_note_id"), ["debit_note_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_debit_note_line_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_debit_note_line_supplier_invoice_id"),
            ["supplier_invoice_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("debit_note_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_debit_note_line_supplier_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_debit_note_line_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_debit_note_line_debit_note_id"))

    op.drop_table("debit_note_line")
    with op.batch_alter_table("purchase_return_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_return_line_return_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_return_line_product_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_return_line_order_line_id"))

    op.drop_table("purchase_return_line")
    with op.batch_alter_table("debit_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_debit_note_supplier_id"))

    op.drop_table("debit_note")
    with op.batch_alter_table("purchase_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_return_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_return_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_return_state"))

    op.drop_table("purchase_return")
