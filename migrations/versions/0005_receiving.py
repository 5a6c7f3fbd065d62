"""receiving

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 07:23:54.644041
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipt",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
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
            ["location_id"], ["location.id"], name=op.f("fk_receipt_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["shipment_notice.id"], name=op.f("fk_receipt_notice_id_shipment_notice")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_order.id"], name=op.f("fk_receipt_order_id_purchase_order")
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["app_user.id"], name=op.f("fk_receipt_received_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_receipt_supplier_id_supplier")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_receipt_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt")),
        sa.UniqueConstraint("number", name=op.f("uq_receipt_number")),
    )
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipt_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipt_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipt_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipt_supplier_id"), ["supplier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipt_warehouse_id"), ["warehouse_id"], unique=False)

    op.create_table(
        "receipt_line",
        sa.Column(
            "receipt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "notice_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("serials", sa.JSON(), nullable=False),
        sa.Column("barcode", sa.String(length=200), nullable=True),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("confirmed_date", sa.Date(), nullable=True),
        sa.Column("requested_date", sa.Date(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "bucket IN ('pending_qc', 'available')", name=op.f("ck_receipt_line_known_bucket")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_receipt_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["notice_line_id"],
            ["shipment_notice_line.id"],
            name=op.f("fk_receipt_line_notice_line_id_shipment_notice_line"),
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_receipt_line_order_line_id_purchase_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_receipt_line_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipt.id"],
            name=op.f("fk_receipt_line_receipt_id_receipt"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_line")),
        sa.UniqueConstraint(
            "receipt_id", "line_no", name=op.f("uq_receipt_line_receipt_id_line_no")
        ),
    )
    with op.batch_alter_table("receipt_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_line_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_line_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_line_receipt_id"), ["receipt_id"], unique=False
        )

    op.create_table(
        "warehouse_task",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column(
            "suggested_location_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("done_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "receipt_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("document_number", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('qc', 'putaway')", name=op.f("ck_warehouse_task_known_kind")),
        sa.CheckConstraint(
            "status IN ('open', 'done')", name=op.f("ck_warehouse_task_known_status")
        ),
        sa.CheckConstraint(
            "done_quantity >= 0 AND done_quantity <= quantity",
            name=op.f("ck_warehouse_task_done_within_quantity"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_warehouse_task_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_warehouse_task_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_warehouse_task_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_line_id"],
            ["receipt_line.id"],
            name=op.f("fk_warehouse_task_receipt_line_id_receipt_line"),
        ),
        sa.ForeignKeyConstraint(
            ["suggested_location_id"],
            ["location.id"],
            name=op.f("fk_warehouse_task_suggested_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_warehouse_task_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_task")),
    )
    with op.batch_alter_table("warehouse_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_warehouse_task_document_number"), ["document_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_warehouse_task_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_warehouse_task_receipt_line_id"), ["receipt_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_warehouse_task_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_warehouse_task_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "inspection",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "receipt_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("accepted_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("rejected_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
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
            "result IN ('pass', 'fail', 'concession')", name=op.f("ck_inspection_known_result")
        ),
        sa.CheckConstraint(
            "accepted_quantity >= 0 AND rejected_quantity >= 0 AND accepted_quantity + rejected_quantity > 0",
            name=op.f("ck_inspection_decides_something"),
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["app_user.id"], name=op.f("fk_inspection_inspector_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_line_id"],
            ["receipt_line.id"],
            name=op.f("fk_inspection_receipt_line_id_receipt_line"),
        ),
        sa.ForeignKeyConstraint(
            ["rejected_location_id"],
            ["location.id"],
            name=op.f("fk_inspection_rejected_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["warehouse_task.id"], name=op.f("fk_inspection_task_id_warehouse_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection")),
    )
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_receipt_line_id"), ["receipt_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inspection_task_id"), ["task_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_task_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_receipt_line_id"))

    op.drop_table("inspection")
    with op.batch_alter_table("warehouse_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warehouse_task_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_warehouse_task_status"))
        batch_op.drop_index(batch_op.f("ix_warehouse_task_receipt_line_id"))
        batch_op.drop_index(batch_op.f("ix_warehouse_task_product_id"))
        batch_op.drop_index(batch_op.f("ix_warehouse_task_document_number"))

    op.drop_table("warehouse_task")
    with op.batch_alter_table("receipt_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_line_receipt_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_line_product_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_line_order_line_id"))

    op.drop_table("receipt_line")
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_received_at"))
        batch_op.drop_index(batch_op.f("ix_receipt_order_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_notice_id"))

    op.drop_table("receipt")
    # ### end Alembic commands ###
