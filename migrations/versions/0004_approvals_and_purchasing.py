"""approvals and purchasing

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval_policy",
        sa.Column("document_type", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_approval_policy_created_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_policy")),
        sa.UniqueConstraint(
            "document_type", "version", name=op.f("uq_approval_policy_document_type_version")
        ),
    )
    op.create_table(
        "purchase_order",
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
        sa.Column("approved_amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("rejection_comment", sa.Text(), nullable=True),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft', 'pending_approval', 'approved', 'sent', 'confirmed', 'partially_received', 'received', 'closed', 'rejected', 'cancelled')",
            name=op.f("ck_purchase_order_known_state"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_purchase_order_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_purchase_order_supplier_id_supplier")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_purchase_order_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_order_number")),
    )
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_order_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_purchase_order_supplier_id"), ["supplier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_order_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "approval_request",
        sa.Column("document_type", sa.String(length=32), nullable=False),
        sa.Column(
            "document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("document_number", sa.String(length=64), nullable=False),
        sa.Column("policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("step_indices", sa.JSON(), nullable=False),
        sa.Column("current_position", sa.Integer(), nullable=False),
        sa.Column(
            "requested_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["approval_policy.id"],
            name=op.f("fk_approval_request_policy_id_approval_policy"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["app_user.id"],
            name=op.f("fk_approval_request_requested_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_request")),
    )
    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_approval_request_document", ["document_type", "document_id"], unique=False
        )

    op.create_table(
        "purchase_order_line",
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("requested_date", sa.Date(), nullable=True),
        sa.Column("confirmed_quantity", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("confirmed_date", sa.Date(), nullable=True),
        sa.Column("confirmation_version", sa.Integer(), nullable=False),
        sa.Column("shipped_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("received_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("accepted_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("rejected_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_order_line_quantity_positive")),
        sa.CheckConstraint(
            "shipped_quantity >= 0 AND received_quantity >= 0 AND accepted_quantity >= 0 AND rejected_quantity >= 0",
            name=op.f("ck_purchase_order_line_progress_not_negative"),
        ),
        sa.CheckConstraint(
            "unit_price >= 0", name=op.f("ck_purchase_order_line_unit_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_order.id"],
            name=op.f("fk_purchase_order_line_order_id_purchase_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_purchase_order_line_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_line")),
        sa.UniqueConstraint(
            "order_id", "line_no", name=op.f("uq_purchase_order_line_order_id_line_no")
        ),
    )
    with op.batch_alter_table("purchase_order_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_order_line_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_order_line_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "shipment_notice",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("carrier", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=False),
        sa.Column("expected_arrival", sa.Date(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_shipment_notice_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_order.id"],
            name=op.f("fk_shipment_notice_order_id_purchase_order"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_shipment_notice_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_notice")),
        sa.UniqueConstraint("number", name=op.f("uq_shipment_notice_number")),
    )
    with op.batch_alter_table("shipment_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_notice_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shipment_notice_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "approval_task",
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("step_name", sa.String(length=100), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column(
            "approver_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["app_user.id"], name=op.f("fk_approval_task_approver_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_request.id"],
            name=op.f("fk_approval_task_request_id_approval_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_task")),
    )
    with op.batch_alter_table("approval_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_approval_task_approver_status", ["approver_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_approval_task_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "shipment_notice_line",
        sa.Column(
            "notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("sscc", sa.String(length=18), nullable=True),
        sa.Column("received_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_notice_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["shipment_notice.id"],
            name=op.f("fk_shipment_notice_line_notice_id_shipment_notice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_shipment_notice_line_order_line_id_purchase_order_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_notice_line")),
    )
    with op.batch_alter_table("shipment_notice_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipment_notice_line_notice_id"), ["notice_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shipment_notice_line_sscc"), ["sscc"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shipment_notice_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_notice_line_sscc"))
        batch_op.drop_index(batch_op.f("ix_shipment_notice_line_notice_id"))

    op.drop_table("shipment_notice_line")
    with op.batch_alter_table("approval_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_task_request_id"))
        batch_op.drop_index("ix_approval_task_approver_status")

    op.drop_table("approval_task")
    with op.batch_alter_table("shipment_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_notice_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_notice_order_id"))

    op.drop_table("shipment_notice")
    with op.batch_alter_table("purchase_order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_order_line_product_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_order_line_order_id"))

    op.drop_table("purchase_order_line")
    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_request_document")

    op.drop_table("approval_request")
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_order_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_order_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_order_state"))

    op.drop_table("purchase_order")
    op.drop_table("approval_policy")
