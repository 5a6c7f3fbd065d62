"""Purchasing queries; supplier users see only their own orders once sent."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.pagination import Connection, connection
from schema.purchasing.types import PurchaseOrder, PurchaseOrderState
from server.purchasing import queries


@strawberry.type
class PurchasingQuery:
    @strawberry.field
    async def purchase_order(self, info: Info, number: str) -> PurchaseOrder | None:
        row = await queries.purchase_order(info.context.session, info.context.user(), number)
        return PurchaseOrder.from_row(row) if row else None

    @strawberry.field(description="Newest first.")
    async def purchase_orders(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        states: list[PurchaseOrderState] | None = None,
        supplier_code: str | None = None,
        ordered_from: date | None = None,
        ordered_to: date | None = None,
        overdue: Annotated[bool | None, strawberry.argument(
            description="Open orders with a line past its promised (else requested) date.")
        ] = None,
    ) -> Connection[PurchaseOrder]:
        where = queries.OrderFilter(states=states, supplier_code=supplier_code,
                                    ordered_from=ordered_from, ordered_to=ordered_to,
                                    overdue=overdue)
        page = await queries.list_orders(info.context.session, info.context.user(),
                                         page_request(info, first, after), where)
        return connection(page, PurchaseOrder.from_row)
