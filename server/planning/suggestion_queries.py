"""Replenishment suggestions as buyers read them: a filtered, keyset-paginated list and the
``suggestionsChanged`` feed.

The list is ordered by suggestion id, oldest first (keyset pagination needs a stable order; a
recompute updates an open suggestion in place, so its place in the list does not move).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.models import Product, Supplier, Warehouse
from server.catalog.queries import PageRequest
from server.catalog.service import warehouse_by_code
from server.catalog.suppliers import supplier_by_code
from server.db import Database
from server.event_hub import EventHub
from server.event_log import EventFilter, Position, StoredEvent
from server.event_stream import follow
from server.pagination import Page, paginate
from server.planning.models import ReplenishmentSuggestion, SuggestionStatus
from server.planning.suggestion_events import SUGGESTION_TOPIC
from server.purchasing.models import PurchaseOrder


@dataclass(frozen=True, slots=True)
class SuggestionFilter:
    warehouse_code: str | None = None
    urgent_only: bool = False
    supplier_code: str | None = None
    status: SuggestionStatus = SuggestionStatus.OPEN


@dataclass(frozen=True, slots=True)
class SuggestionView:
    """One suggestion with the business keys of what it refers to."""

    row: ReplenishmentSuggestion
    sku: str
    product_name: str
    warehouse_code: str
    supplier_code: str
    supplier_name: str
    purchase_order_number: str | None

    @property
    def id(self) -> int:
        return self.row.id


async def list_suggestions(
    session: AsyncSession, principal: Principal, page: PageRequest, where: SuggestionFilter
) -> Page[SuggestionView]:
    """Suggestions of one status (open by default), oldest id first; two queries a page."""
    principal.require_internal()
    stmt = select(ReplenishmentSuggestion).where(
        ReplenishmentSuggestion.status == where.status.value)
    if where.warehouse_code is not None:
        warehouse = await warehouse_by_code(session, where.warehouse_code, "warehouseCode")
        stmt = stmt.where(ReplenishmentSuggestion.warehouse_id == warehouse.id)
    if where.supplier_code is not None:
        supplier = await supplier_by_code(session, where.supplier_code, "supplierCode")
        stmt = stmt.where(ReplenishmentSuggestion.supplier_id == supplier.id)
    if where.urgent_only:
        stmt = stmt.where(ReplenishmentSuggestion.urgent.is_(True))
    found = await paginate(session, stmt, ReplenishmentSuggestion.id, first=page.first,
                           after=page.after, max_page_size=page.max_page_size)
    return Page(rows=await suggestion_views(session, found.rows), cursors=found.cursors,
                has_next_page=found.has_next_page, has_previous_page=found.has_previous_page)


async def suggestion_views(
    session: AsyncSession, rows: Sequence[ReplenishmentSuggestion]
) -> list[SuggestionView]:
    """``rows`` with their product, warehouse, supplier and purchase order keys, in one query."""
    if not rows:
        return []
    stmt = (
        select(ReplenishmentSuggestion.id, Product.sku, Product.name, Warehouse.code,
               Supplier.code, Supplier.name, PurchaseOrder.number)
        .join(Product, Product.id == ReplenishmentSuggestion.product_id)
        .join(Warehouse, Warehouse.id == ReplenishmentSuggestion.warehouse_id)
        .join(Supplier, Supplier.id == ReplenishmentSuggestion.supplier_id)
        .outerjoin(PurchaseOrder, PurchaseOrder.id == ReplenishmentSuggestion.purchase_order_id)
        .where(ReplenishmentSuggestion.id.in_([row.id for row in rows]))
    )
    keys: dict[int, tuple[Any, ...]] = {
        row_id: rest for row_id, *rest in (tuple(r) for r in await session.execute(stmt))}
    return [SuggestionView(row, *keys[row.id]) for row in rows]


async def suggestions_changed(
    db: Database, hub: EventHub, principal: Principal, warehouse_code: str | None,
    after: str | None,
) -> AsyncIterator[StoredEvent]:
    """``SUGGESTIONS_CHANGED`` events of one warehouse (all without one), replayed after
    ``after`` and then live."""
    principal.require_internal()
    position = Position.from_cursor(after) if after is not None else None
    warehouse_id = None
    if warehouse_code is not None:
        async with db.reader() as session:
            warehouse_id = (await warehouse_by_code(session, warehouse_code, "warehouseCode")).id
    return follow(hub, db, EventFilter(topic=SUGGESTION_TOPIC, warehouse_id=warehouse_id),
                  position)
