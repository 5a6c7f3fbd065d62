"""stocktakes: the count document, its bins, frozen quantities and device counts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:27:54.653335
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stocktake",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("all_locations", sa.Boolean(), nullable=False),
        sa.Column(
            "frozen_after_ledger_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "posted_after_ledger_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("zero_uncounted", sa.Boolean(), nullable=False),
        sa.Column("requested_variance_value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("rejection_comment", sa.Text(), nullable=True),
        sa.Column(
            "started_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('open', 'counting', 'pending_approval', 'posted', 'cancelled')",
            name=op.f("ck_stocktake_known_status"),
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["app_user.id"], name=op.f("fk_stocktake_started_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_stocktake_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake")),
        sa.UniqueConstraint("number", name=op.f("uq_stocktake_number")),
    )
    with op.batch_alter_table("stocktake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktake_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stocktake_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "stocktake_bin",
        sa.Column(
            "stocktake_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('open', 'counted')", name=op.f("ck_stocktake_bin_known_status")
        ),
        sa.CheckConstraint("round >= 1", name=op.f("ck_stocktake_bin_round_positive")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_stocktake_bin_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktake.id"],
            name=op.f("fk_stocktake_bin_stocktake_id_stocktake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_bin")),
        sa.UniqueConstraint(
            "stocktake_id", "location_id", name=op.f("uq_stocktake_bin_stocktake_id_location_id")
        ),
    )
    with op.batch_alter_table("stocktake_bin", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stocktake_bin_stocktake_id"), ["stocktake_id"], unique=False
        )

    op.create_table(
        "stocktake_count",
        sa.Column(
            "stocktake_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("entry", sa.String(length=200), nullable=False),
        sa.Column(
            "counted_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stocktake_count_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["counted_by_id"],
            ["app_user.id"],
            name=op.f("fk_stocktake_count_counted_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_stocktake_count_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_stocktake_count_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktake.id"],
            name=op.f("fk_stocktake_count_stocktake_id_stocktake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_count")),
        sa.UniqueConstraint(
            "stocktake_id",
            "location_id",
            "device_id",
            "round",
            "entry",
            "lot",
            name=op.f("uq_stocktake_count_per_device_round"),
        ),
    )
    with op.batch_alter_table("stocktake_count", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stocktake_count_stocktake_id"), ["stocktake_id"], unique=False
        )

    op.create_table(
        "stocktake_frozen",
        sa.Column(
            "stocktake_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stocktake_frozen_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_stocktake_frozen_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_stocktake_frozen_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktake.id"],
            name=op.f("fk_stocktake_frozen_stocktake_id_stocktake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_frozen")),
        sa.UniqueConstraint(
            "stocktake_id",
            "location_id",
            "product_id",
            "lot",
            name=op.f("uq_stocktake_frozen_line"),
        ),
    )
    with op.batch_alter_table("stocktake_frozen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stocktake_frozen_stocktake_id"), ["stocktake_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stocktake_frozen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_frozen_stocktake_id"))

    op.drop_table("stocktake_frozen")
    with op.batch_alter_table("stocktake_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_count_stocktake_id"))

    op.drop_table("stocktake_count")
    with op.batch_alter_table("stocktake_bin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_bin_stocktake_id"))

    op.drop_table("stocktake_bin")
    with op.batch_alter_table("stocktake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_stocktake_status"))

    op.drop_table("stocktake")
