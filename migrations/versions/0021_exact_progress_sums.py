"""CHECKs that add quantities up round the sum to 4 places: SQLite keeps NUMERIC as binary
floats, where 0.8272 + 3.3433 comes out above 4.1705 and a valid line was refused (a no-op on
PostgreSQL, whose numeric sums are exact)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 18:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# (table, constraint name, the CHECK before, the CHECK after)
SUMS = (
    ("sales_order_line", "progress_within_quantity",
     "reserved_quantity + backordered_quantity + picked_quantity + shipped_quantity <= quantity",
     "ROUND(reserved_quantity + backordered_quantity + picked_quantity + shipped_quantity, 4)"
     " <= quantity"),
    ("pick_list_line", "progress_within_quantity",
     "picked_quantity >= 0 AND short_quantity >= 0 "
     "AND picked_quantity + short_quantity <= quantity",
     "picked_quantity >= 0 AND short_quantity >= 0 "
     "AND ROUND(picked_quantity + short_quantity, 4) <= quantity"),
    ("sales_return_line", "decided_within_received",
     "restocked_quantity >= 0 AND scrapped_quantity >= 0 "
     "AND restocked_quantity + scrapped_quantity <= received_quantity",
     "restocked_quantity >= 0 AND scrapped_quantity >= 0 "
     "AND ROUND(restocked_quantity + scrapped_quantity, 4) <= received_quantity"),
)


def _replace_checks(version: int) -> None:
    for table, name, *checks in SUMS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(name, checks[version])


def upgrade() -> None:
    _replace_checks(1)


def downgrade() -> None:
    _replace_checks(0)
