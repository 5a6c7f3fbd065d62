"""print templates, versions and printed documents

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 10:21:07.010344
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "print_template",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('purchase_order', 'asn_label', 'receipt', 'pick_list', 'delivery_note', 'shipping_label', 'invoice')",
            name=op.f("ck_print_template_known_kind"),
        ),
        sa.CheckConstraint(
            "language IN ('zh', 'en')", name=op.f("ck_print_template_known_language")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_template")),
        sa.UniqueConstraint("name", name=op.f("uq_print_template_name")),
    )
    with op.batch_alter_table("print_template", schema=None) as batch_op:
        batch_op.create_index(
            "uq_print_template_default",
            ["kind"],
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )

    op.create_table(
        "print_template_version",
        sa.Column(
            "template_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("css", sa.Text(), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
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
            name=op.f("fk_print_template_version_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["print_template.id"],
            name=op.f("fk_print_template_version_template_id_print_template"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_template_version")),
    )
    with op.batch_alter_table("print_template_version", schema=None) as batch_op:
        batch_op.create_index("uq_print_template_version", ["template_id", "version"], unique=True)

    op.create_table(
        "printed_document",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("document_number", sa.String(length=64), nullable=False),
        sa.Column(
            "template_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "shipment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "produced_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('purchase_order', 'asn_label', 'receipt', 'pick_list', 'delivery_note', 'shipping_label', 'invoice')",
            name=op.f("ck_printed_document_known_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["produced_by_id"],
            ["app_user.id"],
            name=op.f("fk_printed_document_produced_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipment.id"], name=op.f("fk_printed_document_shipment_id_shipment")
        ),
        sa.ForeignKeyConstraint(
            ["template_version_id"],
            ["print_template_version.id"],
            name=op.f("fk_printed_document_template_version_id_print_template_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_printed_document")),
    )
    with op.batch_alter_table("printed_document", schema=None) as batch_op:
        batch_op.create_index(
            "ix_printed_document_number", ["kind", "document_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_printed_document_shipment_id"), ["shipment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("printed_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_printed_document_shipment_id"))
        batch_op.drop_index("ix_printed_document_number")

    op.drop_table("printed_document")
    with op.batch_alter_table("print_template_version", schema=None) as batch_op:
        batch_op.drop_index("uq_print_template_version")

    op.drop_table("print_template_version")
    with op.batch_alter_table("print_template", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_print_template_default",
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )

    op.drop_table("print_template")
