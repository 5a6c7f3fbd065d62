"""event indexes: the outbox reader's range on (txid, id)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The reader asks for events with txid in [mark, xmin) and whether any lie at or past xmin;
    # replays page through (txid, id) ranges. Without this, each read scans the whole outbox.
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_txid_id", ["txid", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_txid_id")
