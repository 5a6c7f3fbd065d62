"""Products and their barcodes: use cases (one transaction each) and reads.

A barcode identifies one product across the whole catalogue; its pack quantity says how many
units one scan counts, so a case barcode of 12 receives 12 units.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Exists, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.access import PURCHASING_EDITORS, supplier_scope
from server.catalog.drafts import BarcodeDraft, ProductChanges, ProductDraft
from server.catalog.models import Product, ProductBarcode, SupplierItem
from server.catalog.queries import PageRequest
from server.catalog.rules import (
    as_amount,
    normal_tags,
    product_changes_problems,
    product_draft_problems,
    raise_problems,
)
from server.db import Database, utcnow
from server.errors import Duplicate, NotFound, Problem
from server.pagination import Page, paginate


@dataclass(frozen=True, slots=True)
class ProductFilter:
    search: str | None = None
    category: str | None = None
    active: bool | None = None
    qc_required: bool | None = None


_BY_SKU = select(Product).where(Product.sku == bindparam("sku"))  # built once: every scan


async def product_by_sku(session: AsyncSession, sku: str, field: str = "sku") -> Product:
    product = await session.scalar(_BY_SKU, {"sku": sku})
    if product is None:
        raise NotFound(f"no product with sku {sku!r}", field=field)
    return product


async def _barcodes_taken_elsewhere(
    session: AsyncSession, barcodes: Sequence[BarcodeDraft], field: str, product_id: int | None
) -> list[Problem]:
    """DUPLICATE for each barcode that already belongs to another product."""
    if not barcodes:
        return []
    stmt = (select(ProductBarcode.barcode, Product.sku)
            .join(Product, Product.id == ProductBarcode.product_id)
            .where(ProductBarcode.barcode.in_([draft.barcode for draft in barcodes])))
    if product_id is not None:
        stmt = stmt.where(ProductBarcode.product_id != product_id)
    owners = {barcode: sku for barcode, sku in await session.execute(stmt)}
    return [
        Problem(Duplicate.code, f"barcode {draft.barcode!r} already belongs to product "
                                f"{owners[draft.barcode]}", f"{field}[{index}].barcode")
        for index, draft in enumerate(barcodes) if draft.barcode in owners
    ]


async def create_product(db: Database, principal: Principal, draft: ProductDraft) -> Product:
    principal.require(*PURCHASING_EDITORS)
    raise_problems(*product_draft_problems(draft))
    async with db.transaction() as session:
        sku_taken = await session.scalar(select(Product.id).where(Product.sku == draft.sku))
        raise_problems(
            Problem(Duplicate.code, f"a product with sku {draft.sku!r} exists", "sku")
            if sku_taken else None,
            *await _barcodes_taken_elsewhere(session, draft.barcodes, "barcodes", None),
        )
        product = Product(
            sku=draft.sku,
            name=draft.name.strip(),
            category=draft.category.strip(),
            unit_of_measure=draft.unit_of_measure.strip(),
            qc_required=draft.qc_required,
            make_to_order=draft.make_to_order,
            tags=normal_tags(draft.tags),
            safety_stock=as_amount(draft.safety_stock),
            list_price=as_amount(draft.list_price),
        )
        session.add(product)
        await session.flush()
        session.add_all(
            ProductBarcode(product_id=product.id, barcode=barcode.barcode,
                           pack_quantity=as_amount(barcode.pack_quantity))
            for barcode in draft.barcodes
        )
        await session.flush()
        return product


async def update_product(
    db: Database, principal: Principal, sku: str, changes: ProductChanges
) -> Product:
    """Change a product's fields (``None`` leaves one alone), add, re-count or remove barcodes;
    ``active=False`` deactivates it."""
    principal.require(*PURCHASING_EDITORS)
    raise_problems(*product_changes_problems(changes))
    async with db.transaction() as session:
        product = await product_by_sku(session, sku)
        own = {row.barcode: row for row in await session.scalars(
            select(ProductBarcode).where(ProductBarcode.product_id == product.id)
        )}
        raise_problems(
            *await _barcodes_taken_elsewhere(session, changes.add_barcodes, "addBarcodes",
                                             product.id),
            *(Problem(NotFound.code, f"product {sku} has no barcode {code!r}",
                      f"removeBarcodes[{index}]")
              for index, code in enumerate(changes.remove_barcodes) if code not in own),
        )
        _apply_fields(product, changes)
        for code in set(changes.remove_barcodes):
            await session.delete(own[code])
        for barcode in changes.add_barcodes:
            quantity = as_amount(barcode.pack_quantity)
            if barcode.barcode in own:
                own[barcode.barcode].pack_quantity = quantity
            else:
                session.add(ProductBarcode(product_id=product.id, barcode=barcode.barcode,
                                           pack_quantity=quantity))
        if changes.add_barcodes or changes.remove_barcodes:
            product.updated_at = utcnow()
        await session.flush()
        return product


def _apply_fields(product: Product, changes: ProductChanges) -> None:
    if changes.name is not None:
        product.name = changes.name.strip()
    if changes.category is not None:
        product.category = changes.category.strip()
    if changes.unit_of_measure is not None:
        product.unit_of_measure = changes.unit_of_measure.strip()
    if changes.qc_required is not None:
        product.qc_required = changes.qc_required
    if changes.make_to_order is not None:
        product.make_to_order = changes.make_to_order
    if changes.tags is not None:
        product.tags = normal_tags(changes.tags)
    if changes.safety_stock is not None:
        product.safety_stock = as_amount(changes.safety_stock)
    if changes.list_price is not None:
        product.list_price = as_amount(changes.list_price)
    if changes.active is not None:
        product.active = changes.active


def _supplied_by(supplier_id: int) -> Exists:
    return exists().where(SupplierItem.product_id == Product.id,
                          SupplierItem.supplier_id == supplier_id)


async def list_products(
    session: AsyncSession, principal: Principal, page: PageRequest, where: ProductFilter
) -> Page[Product]:
    """Products by id; ``search`` matches sku or name, ignoring case. A supplier user gets only
    the products it has supplier items for."""
    scope = supplier_scope(principal)
    stmt = select(Product)
    if scope is not None:
        stmt = stmt.where(_supplied_by(scope))
    if where.search:
        stmt = stmt.where(or_(Product.sku.icontains(where.search, autoescape=True),
                              Product.name.icontains(where.search, autoescape=True)))
    if where.category is not None:
        stmt = stmt.where(Product.category == where.category)
    if where.active is not None:
        stmt = stmt.where(Product.active.is_(where.active))
    if where.qc_required is not None:
        stmt = stmt.where(Product.qc_required.is_(where.qc_required))
    return await paginate(session, stmt, Product.id, first=page.first, after=page.after,
                          max_page_size=page.max_page_size)


async def product_of_sku(session: AsyncSession, principal: Principal, sku: str) -> Product | None:
    scope = supplier_scope(principal)
    stmt = select(Product).where(Product.sku == sku)
    if scope is not None:
        stmt = stmt.where(_supplied_by(scope))
    return await session.scalar(stmt)


async def product_of_barcode(
    session: AsyncSession, principal: Principal, barcode: str
) -> Product | None:
    scope = supplier_scope(principal)
    stmt = select(Product).join(ProductBarcode).where(ProductBarcode.barcode == barcode)
    if scope is not None:
        stmt = stmt.where(_supplied_by(scope))
    return await session.scalar(stmt)


async def products_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Product | None]:
    rows = {p.id: p for p in await session.scalars(select(Product).where(Product.id.in_(ids)))}
    return [rows.get(i) for i in ids]


async def barcodes_by_product_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[ProductBarcode]]:
    grouped: dict[int, list[ProductBarcode]] = defaultdict(list)
    stmt = (select(ProductBarcode).where(ProductBarcode.product_id.in_(ids))
            .order_by(ProductBarcode.pack_quantity, ProductBarcode.barcode))
    for barcode in await session.scalars(stmt):
        grouped[barcode.product_id].append(barcode)
    return [grouped[i] for i in ids]
