"""sales history, planning policy, replenishment suggestions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 10:01:54.807878
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planning_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_period_days", sa.Integer(), nullable=False),
        sa.Column("service_level", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("history_weeks", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "history_weeks >= 4", name=op.f("ck_planning_policy_history_weeks_minimum")
        ),
        sa.CheckConstraint(
            "review_period_days >= 0", name=op.f("ck_planning_policy_review_period_not_negative")
        ),
        sa.CheckConstraint(
            "service_level >= 0.5 AND service_level < 1",
            name=op.f("ck_planning_policy_service_level_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_policy")),
    )
    op.create_table(
        "sales_history",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.CheckConstraint(
            "source IN ('shipped', 'imported')", name=op.f("ck_sales_history_known_source")
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_sales_history_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_sales_history_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_sales_history_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "product_id",
            "warehouse_id",
            "week_start",
            "region",
            "source",
            name=op.f("pk_sales_history"),
        ),
    )
    op.create_table(
        "replenishment_suggestion",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("need_date", sa.Date(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "purchase_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "decided_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('open', 'converted', 'dismissed')",
            name=op.f("ck_replenishment_suggestion_known_status"),
        ),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_replenishment_suggestion_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["app_user.id"],
            name=op.f("fk_replenishment_suggestion_decided_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_replenishment_suggestion_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_order.id"],
            name=op.f("fk_replenishment_suggestion_purchase_order_id_purchase_order"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
            name=op.f("fk_replenishment_suggestion_supplier_id_supplier"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_replenishment_suggestion_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replenishment_suggestion")),
    )
    with op.batch_alter_table("replenishment_suggestion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_replenishment_suggestion_purchase_order_id"),
            ["purchase_order_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_replenishment_suggestion_supplier_id"), ["supplier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_replenishment_suggestion_urgent"), ["urgent"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_replenishment_suggestion_warehouse_id"), ["warehouse_id"], unique=False
        )
        batch_op.create_index(
            "uq_replenishment_suggestion_open",
            ["product_id", "warehouse_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("replenishment_suggestion", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_replenishment_suggestion_open",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_replenishment_suggestion_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_replenishment_suggestion_urgent"))
        batch_op.drop_index(batch_op.f("ix_replenishment_suggestion_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_replenishment_suggestion_purchase_order_id"))

    op.drop_table("replenishment_suggestion")
    op.drop_table("sales_history")
    op.drop_table("planning_policy")
