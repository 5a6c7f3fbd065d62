"""``SUGGESTIONS_CHANGED`` events: what a buyer's screen needs to know to refetch suggestions.

One event per transaction that opened, updated, converted, dismissed or closed suggestions, per
warehouse, so a subscriber following one warehouse is told only about it. Sku lists are capped to
keep the outbox payload small; a full run says ``full`` instead of listing everything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from server.events import record_event

SUGGESTION_TOPIC = "replenishment_suggestion"
SUGGESTIONS_CHANGED = "SUGGESTIONS_CHANGED"
MAX_LISTED_SKUS = 200


@dataclass(slots=True)
class SuggestionChanges:
    """Counts of what happened to one warehouse's suggestions in one transaction."""

    warehouse_id: int
    warehouse_code: str
    skus: set[str] = field(default_factory=set)
    opened: int = 0
    updated: int = 0
    closed: int = 0  # no longer needed (recompute), converted or dismissed

    @property
    def any(self) -> bool:
        return bool(self.opened or self.updated or self.closed)


async def record_suggestion_changes(
    session: AsyncSession, changes: Collection[SuggestionChanges], *, full: bool = False
) -> None:
    for change in sorted(changes, key=lambda c: c.warehouse_id):
        if not change.any:
            continue
        payload: dict[str, object] = {
            "warehouseCode": change.warehouse_code, "opened": change.opened,
            "updated": change.updated, "closed": change.closed, "full": full,
        }
        if not full and len(change.skus) <= MAX_LISTED_SKUS:
            payload["skus"] = sorted(change.skus)
        await record_event(session, topic=SUGGESTION_TOPIC, kind=SUGGESTIONS_CHANGED,
                           payload=payload, warehouse_id=change.warehouse_id)
