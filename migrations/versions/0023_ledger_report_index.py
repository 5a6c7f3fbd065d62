"""the ledger's product × warehouse index also holds the columns the inventory report adds up
(PostgreSQL's INCLUDE), so the report reads the index alone, in order

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 00:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

INDEX = "ix_stock_ledger_product_id_warehouse_id_id"
KEY = ["product_id", "warehouse_id", "id"]
# As of this revision; the model's LEDGER_REPORT_COLUMNS may move on with later ones.
INCLUDED = ["posted_at", "quantity", "value", "document_type", "from_location_id",
            "to_location_id"]


def upgrade() -> None:
    # SQLite has no INCLUDE: its index stays as it was.
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="stock_ledger")
        op.create_index(INDEX, "stock_ledger", KEY, postgresql_include=INCLUDED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="stock_ledger")
        op.create_index(INDEX, "stock_ledger", KEY)
