"""transfers: transfer documents between warehouses, their pick lines and travelling lots;
the planning policy's prefer_transfers switch

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 13:40:24.294359
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfer",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "from_warehouse_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "to_warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "state IN ('picking', 'picked', 'in_transit', 'partially_received', 'received', 'cancelled')",
            name=op.f("ck_transfer_known_state"),
        ),
        sa.CheckConstraint(
            "from_warehouse_id <> to_warehouse_id", name=op.f("ck_transfer_two_warehouses")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_transfer_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["from_warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_transfer_from_warehouse_id_warehouse"),
        ),
        sa.ForeignKeyConstraint(
            ["to_warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_transfer_to_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer")),
        sa.UniqueConstraint("number", name=op.f("uq_transfer_number")),
    )
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_from_warehouse_id"), ["from_warehouse_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transfer_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_transfer_to_warehouse_id"), ["to_warehouse_id"], unique=False
        )

    op.create_table(
        "transfer_line",
        sa.Column(
            "transfer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("requested_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("picked_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("shipped_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("received_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_transfer_line_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_transfer_line_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfer.id"],
            name=op.f("fk_transfer_line_transfer_id_transfer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_line")),
        sa.UniqueConstraint(
            "transfer_id", "line_no", name=op.f("uq_transfer_line_transfer_id_line_no")
        ),
    )
    with op.batch_alter_table("transfer_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_line_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transfer_line_transfer_id"), ["transfer_id"], unique=False
        )

    op.create_table(
        "transfer_lot",
        sa.Column(
            "transfer_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("received_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "received_quantity <= quantity", name=op.f("ck_transfer_lot_received_within_shipped")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_line_id"],
            ["transfer_line.id"],
            name=op.f("fk_transfer_lot_transfer_line_id_transfer_line"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_lot")),
        sa.UniqueConstraint(
            "transfer_line_id", "lot", name=op.f("uq_transfer_lot_transfer_line_id_lot")
        ),
    )
    with op.batch_alter_table("transfer_lot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_lot_transfer_line_id"), ["transfer_line_id"], unique=False
        )

    op.create_table(
        "transfer_pick",
        sa.Column(
            "transfer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "transfer_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
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
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_transfer_pick_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_transfer_pick_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["warehouse_task.id"], name=op.f("fk_transfer_pick_task_id_warehouse_task")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfer.id"],
            name=op.f("fk_transfer_pick_transfer_id_transfer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transfer_line_id"],
            ["transfer_line.id"],
            name=op.f("fk_transfer_pick_transfer_line_id_transfer_line"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_pick")),
        sa.UniqueConstraint(
            "transfer_id", "line_no", name=op.f("uq_transfer_pick_transfer_id_line_no")
        ),
    )
    with op.batch_alter_table("transfer_pick", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_pick_transfer_id"), ["transfer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transfer_pick_transfer_line_id"), ["transfer_line_id"], unique=False
        )

    with op.batch_alter_table("planning_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("prefer_transfers", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("planning_policy", schema=None) as batch_op:
        batch_op.drop_column("prefer_transfers")

    with op.batch_alter_table("transfer_pick", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_pick_transfer_line_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_pick_transfer_id"))

    op.drop_table("transfer_pick")
    with op.batch_alter_table("transfer_lot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_lot_transfer_line_id"))

    op.drop_table("transfer_lot")
    with op.batch_alter_table("transfer_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_line_transfer_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_line_product_id"))

    op.drop_table("transfer_line")
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_to_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_state"))
        batch_op.drop_index(batch_op.f("ix_transfer_from_warehouse_id"))

    op.drop_table("transfer")
