"""DataLoaders, created per request: nested lists cost one query per level, never one per row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from server import auth
from server.catalog import customers, products, supplier_items, suppliers
from server.catalog import queries as catalog
from server.db import AsyncSession
from server.finance import returns as finance_returns
from server.purchasing import queries as purchasing
from server.purchasing import return_queries
from server.receiving import tasks as warehouse_tasks

V = TypeVar("V")


class Loaders:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _loader(
        self, fetch: Callable[[AsyncSession, Sequence[int]], Awaitable[list[V]]]
    ) -> DataLoader[int, V]:
        async def load(keys: list[int]) -> list[V]:
            return await fetch(self._session, keys)

        return DataLoader(load_fn=load)

    @cached_property
    def warehouse(self) -> DataLoader[int, Any]:
        return self._loader(catalog.warehouses_by_ids)

    @cached_property
    def location(self) -> DataLoader[int, Any]:
        return self._loader(catalog.locations_by_ids)

    @cached_property
    def locations_of_warehouse(self) -> DataLoader[int, Any]:
        return self._loader(catalog.locations_by_warehouse_ids)

    @cached_property
    def product(self) -> DataLoader[int, Any]:
        return self._loader(products.products_by_ids)

    @cached_property
    def barcodes_of_product(self) -> DataLoader[int, Any]:
        return self._loader(products.barcodes_by_product_ids)

    @cached_property
    def supplier(self) -> DataLoader[int, Any]:
        return self._loader(suppliers.suppliers_by_ids)

    @cached_property
    def supplier_items_of_supplier(self) -> DataLoader[int, Any]:
        return self._loader(supplier_items.supplier_items_by_supplier_ids)

    @cached_property
    def supplier_items_of_product(self) -> DataLoader[int, Any]:
        return self._loader(supplier_items.supplier_items_by_product_ids)

    @cached_property
    def salesperson(self) -> DataLoader[int, Any]:
        return self._loader(customers.salespeople_by_ids)

    @cached_property
    def user(self) -> DataLoader[int, Any]:
        return self._loader(auth.users_by_ids)

    @cached_property
    def lines_of_order(self) -> DataLoader[int, Any]:
        return self._loader(purchasing.lines_by_order_ids)

    @cached_property
    def notices_of_order(self) -> DataLoader[int, Any]:
        return self._loader(purchasing.notices_by_order_ids)

    @cached_property
    def approval_trail_of_order(self) -> DataLoader[int, Any]:
        return self._loader(purchasing.approval_trails_by_order_ids)

    @cached_property
    def warehouse_task(self) -> DataLoader[int, Any]:
        return self._loader(warehouse_tasks.tasks_by_ids)

    @cached_property
    def inspections_of_task(self) -> DataLoader[int, Any]:
        return self._loader(warehouse_tasks.inspections_by_task_ids)

    @cached_property
    def receipt_line(self) -> DataLoader[int, Any]:
        return self._loader(warehouse_tasks.receipt_lines_by_ids)

    @cached_property
    def order_line_ref(self) -> DataLoader[int, Any]:
        return self._loader(return_queries.order_refs_by_line_ids)

    @cached_property
    def debit_note_of_return(self) -> DataLoader[int, Any]:
        return self._loader(finance_returns.debit_notes_by_return_ids)

    @cached_property
    def approval_trail_of_return(self) -> DataLoader[int, Any]:
        return self._loader(return_queries.approval_trails_by_return_ids)
