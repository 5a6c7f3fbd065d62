"""Supplier items: one supplier's terms for one product. Set by create-or-update; at most one
item per product is the preferred one, so making one preferred clears the others."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.access import PURCHASING_EDITORS
from server.catalog.drafts import SupplierItemTerms
from server.catalog.models import Product, Supplier, SupplierItem
from server.catalog.rules import as_amount, raise_problems, supplier_item_problems
from server.db import Database
from server.errors import InvalidInput, NotFound, Problem

DEFAULT_CURRENCY = "CNY"
DEFAULT_LEAD_TIME_DAYS = 7


async def set_supplier_item(
    db: Database, principal: Principal, terms: SupplierItemTerms
) -> SupplierItem:
    """Create the supplier's item for the product, or change the terms given (``None`` leaves
    a term alone); ``active=False`` deactivates it and drops its preferred mark."""
    principal.require(*PURCHASING_EDITORS)
    raise_problems(*supplier_item_problems(terms))
    async with db.transaction() as session:
        supplier = await session.scalar(
            select(Supplier).where(Supplier.code == terms.supplier_code)
        )
        product_query = select(Product).where(Product.sku == terms.sku)
        if terms.preferred:
            # Two purchasers preferring different suppliers at once would each clear the other's
            # mark and leave two preferred items; locking the product row serialises them.
            product_query = product_query.with_for_update()
        product = await session.scalar(product_query)
        if supplier is None or product is None:
            raise NotFound.of(_missing_references(terms, supplier, product))
        item = await session.scalar(select(SupplierItem).where(
            SupplierItem.supplier_id == supplier.id, SupplierItem.product_id == product.id
        ))
        if item is None:
            raise_problems(*new_item_problems(supplier, product, terms))
            # The price is set by _apply_terms below: a new item must have been given one.
            item = SupplierItem(supplier_id=supplier.id, product_id=product.id,
                                currency=DEFAULT_CURRENCY, moq=as_amount(Decimal(1)),
                                pack_multiple=as_amount(Decimal(1)),
                                lead_time_days=DEFAULT_LEAD_TIME_DAYS, preferred=False,
                                active=True)
            session.add(item)
        elif terms.preferred and terms.active is None and not item.active:
            raise InvalidInput("an inactive supplier item cannot be the preferred one; "
                               "reactivate it with active: true", field="preferred")
        _apply_terms(item, terms)
        await session.flush()
        if item.preferred:
            await session.execute(
                update(SupplierItem)
                .where(SupplierItem.product_id == product.id, SupplierItem.id != item.id,
                       SupplierItem.preferred.is_(True))
                .values(preferred=False)
            )
        return item


def _missing_references(
    terms: SupplierItemTerms, supplier: Supplier | None, product: Product | None
) -> list[Problem]:
    problems = []
    if supplier is None:
        problems.append(Problem(NotFound.code, f"no supplier with code {terms.supplier_code!r}",
                                "supplierCode"))
    if product is None:
        problems.append(Problem(NotFound.code, f"no product with sku {terms.sku!r}", "sku"))
    return problems


def new_item_problems(
    supplier: Supplier, product: Product, terms: SupplierItemTerms
) -> list[Problem]:
    problems = []
    if terms.price is None:
        problems.append(Problem(InvalidInput.code, "a new supplier item needs a price", "price"))
    if not supplier.active:
        problems.append(Problem(InvalidInput.code, f"supplier {supplier.code} is inactive",
                                "supplierCode"))
    if not product.active:
        problems.append(Problem(InvalidInput.code, f"product {product.sku} is inactive", "sku"))
    return problems


def _apply_terms(item: SupplierItem, terms: SupplierItemTerms) -> None:
    if terms.price is not None:
        item.price = as_amount(terms.price)
    if terms.currency is not None:
        item.currency = terms.currency
    if terms.moq is not None:
        item.moq = as_amount(terms.moq)
    if terms.pack_multiple is not None:
        item.pack_multiple = as_amount(terms.pack_multiple)
    if terms.lead_time_days is not None:
        item.lead_time_days = terms.lead_time_days
    if terms.active is not None:
        item.active = terms.active
    if terms.preferred is not None:
        item.preferred = terms.preferred
    if not item.active:
        item.preferred = False


async def supplier_items_by_supplier_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[SupplierItem]]:
    grouped: dict[int, list[SupplierItem]] = defaultdict(list)
    stmt = select(SupplierItem).where(SupplierItem.supplier_id.in_(ids)).order_by(SupplierItem.id)
    for item in await session.scalars(stmt):
        grouped[item.supplier_id].append(item)
    return [grouped[i] for i in ids]


async def supplier_items_by_product_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[SupplierItem]]:
    """Each product's items, the preferred one first, then the cheapest."""
    grouped: dict[int, list[SupplierItem]] = defaultdict(list)
    stmt = (select(SupplierItem).where(SupplierItem.product_id.in_(ids))
            .order_by(SupplierItem.preferred.desc(), SupplierItem.price, SupplierItem.id))
    for item in await session.scalars(stmt):
        grouped[item.product_id].append(item)
    return [grouped[i] for i in ids]
