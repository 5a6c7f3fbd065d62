"""Stock queries: levels of some SKUs in a warehouse, and one product's ledger."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.inventory.types import StockLedgerEntry, StockLevel
from schema.pagination import Connection, connection
from server.inventory import queries as inventory
from server.inventory.queries import LedgerFilter


@strawberry.type
class InventoryQuery:
    @strawberry.field(description="Every bucket, on hand, projected, cost, value and bins of each "
                                  "SKU in one warehouse, in the order asked.")
    async def stock_levels(
        self, info: Info, warehouse_code: str, skus: list[str]
    ) -> list[StockLevel]:
        rows = await inventory.stock_levels(
            info.context.session, info.context.user(), warehouse_code, skus,
            info.context.settings.max_page_size,
        )
        return [StockLevel.from_row(row) for row in rows]

    @strawberry.field(description="One product's ledger, newest first. postedFrom is inclusive, "
                                  "postedTo exclusive; times without an offset are UTC.")
    async def stock_ledger(
        self,
        info: Info,
        sku: str,
        warehouse_code: str | None = None,
        first: int = 50,
        after: str | None = None,
        document_type: str | None = None,
        document_number: str | None = None,
        posted_from: datetime | None = None,
        posted_to: datetime | None = None,
    ) -> Connection[StockLedgerEntry]:
        where = LedgerFilter(
            sku=sku, warehouse_code=warehouse_code, document_type=document_type,
            document_number=document_number, posted_from=posted_from, posted_to=posted_to,
        )
        page = await inventory.stock_ledger(
            info.context.session, info.context.user(), where, page_request(info, first, after)
        )
        return connection(page, StockLedgerEntry.from_row)
