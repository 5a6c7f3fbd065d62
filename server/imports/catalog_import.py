"""Importing products, suppliers and supplier items: one transaction per file, roles as for the
mutations (purchasers and purchase managers). A row creates the record its key names, or
overwrites the record with that key: every column of the row is set, an empty cell to its
default. Rows are judged by the catalog rules first, then against the database; nothing is
written unless all are good, or (``skip_bad_rows``) only the good ones are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.access import PURCHASING_EDITORS
from server.catalog.drafts import ProductDraft, SupplierDraft
from server.catalog.models import Product, ProductBarcode, Supplier, SupplierItem
from server.catalog.rules import as_amount, normal_tags
from server.catalog.supplier_items import new_item_problems
from server.db import Database
from server.imports.fields import row_errors
from server.imports.master_rows import ItemRow, parse_supplier_items, parse_suppliers
from server.imports.product_rows import ProductRow, parse_products
from server.imports.report import ImportOutcome, RowError
from server.imports.table import Parsed, read_sheet, settle
from server.imports.writing import KEYS_PER_QUERY, Progress, ids_by_key, rows_by_key, upsert


async def import_products(
    db: Database, principal: Principal, data: bytes, *, skip_bad_rows: bool = False,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    """Products by sku with their barcodes; a barcode already on another product is refused,
    one on this product gets the row's pack quantity, the product's other barcodes stay."""
    principal.require(*PURCHASING_EDITORS)
    parsed = parse_products(*read_sheet(data))
    async with db.transaction() as session:
        parsed.errors.extend(await _barcodes_of_others(session, parsed))
        rows, skipped = settle(parsed, skip_bad_rows)
        drafts = [row.draft for row in rows]
        existing = await ids_by_key(session, Product.sku, (draft.sku for draft in drafts))
        total = len(drafts)
        await upsert(session, Product, [_product_values(draft) for draft in drafts], ["sku"],
                     on_progress=on_progress, total=total)
        ids = await ids_by_key(session, Product.sku, (draft.sku for draft in drafts))
        await upsert(session, ProductBarcode, [
            {"product_id": ids[draft.sku], "barcode": barcode.barcode,
             "pack_quantity": as_amount(barcode.pack_quantity)}
            for draft in drafts for barcode in draft.barcodes], ["barcode"])
    return ImportOutcome(imported=total, created=total - len(existing), updated=len(existing),
                         skipped=skipped)


def _product_values(draft: ProductDraft) -> dict[str, Any]:
    return {"sku": draft.sku, "name": draft.name.strip(), "category": draft.category.strip(),
            "unit_of_measure": draft.unit_of_measure.strip(), "qc_required": draft.qc_required,
            "make_to_order": draft.make_to_order, "tags": normal_tags(draft.tags),
            "safety_stock": as_amount(draft.safety_stock),
            "list_price": as_amount(draft.list_price)}


async def _barcodes_of_others(
    session: AsyncSession, parsed: Parsed[ProductRow]
) -> list[RowError]:
    """DUPLICATE for each barcode the catalogue has on another product than the row's."""
    wanted = sorted({barcode for _, row in parsed.rows for barcode, _ in row.barcode_cells()})
    owners: dict[str, str] = {}
    for offset in range(0, len(wanted), KEYS_PER_QUERY):
        owners.update((barcode, sku) for barcode, sku in await session.execute(
            select(ProductBarcode.barcode, Product.sku)
            .join(Product, Product.id == ProductBarcode.product_id)
            .where(ProductBarcode.barcode.in_(wanted[offset:offset + KEYS_PER_QUERY]))))
    return [RowError(row_number, column, f"barcode {barcode} already belongs to product "
                                         f"{owners[barcode]}", "DUPLICATE")
            for row_number, row in parsed.rows for barcode, column in row.barcode_cells()
            if owners.get(barcode, row.draft.sku) != row.draft.sku]


async def import_suppliers(
    db: Database, principal: Principal, data: bytes, *, skip_bad_rows: bool = False,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    """Suppliers by code with their contact and over-receipt tolerance."""
    principal.require(*PURCHASING_EDITORS)
    parsed = parse_suppliers(*read_sheet(data))
    drafts, skipped = settle(parsed, skip_bad_rows)
    async with db.transaction() as session:
        existing = await ids_by_key(session, Supplier.code, (draft.code for draft in drafts))
        await upsert(session, Supplier, [_supplier_values(draft) for draft in drafts], ["code"],
                     on_progress=on_progress)
    return ImportOutcome(imported=len(drafts), created=len(drafts) - len(existing),
                         updated=len(existing), skipped=skipped)


def _supplier_values(draft: SupplierDraft) -> dict[str, Any]:
    return {"code": draft.code, "name": draft.name.strip(),
            "contact_name": draft.contact_name.strip(),
            "contact_phone": draft.contact_phone.strip(),
            "contact_email": draft.contact_email.strip(),
            "over_receipt_tolerance_pct": as_amount(draft.over_receipt_tolerance_pct)}


async def import_supplier_items(
    db: Database, principal: Principal, data: bytes, *, skip_bad_rows: bool = False,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    """Supplier items by supplier and sku; the item is active afterwards, and a preferred row
    takes the preferred mark from the product's other items."""
    principal.require(*PURCHASING_EDITORS)
    parsed = parse_supplier_items(*read_sheet(data))
    async with db.transaction() as session:
        suppliers = await rows_by_key(session, Supplier, Supplier.code,
                                      (item.terms.supplier_code for _, item in parsed.rows))
        products = await rows_by_key(session, Product, Product.sku,
                                     (item.terms.sku for _, item in parsed.rows))
        existing = await _existing_items(session, suppliers, products, parsed)
        parsed.errors.extend(_item_reference_errors(parsed, suppliers, products, existing))
        items, skipped = settle(parsed, skip_bad_rows)
        preferred = sorted({products[item.terms.sku].id for item in items if item.terms.preferred})
        await _lock_and_clear_preferred(session, preferred)
        await upsert(session, SupplierItem, [
            _item_values(item, suppliers[item.terms.supplier_code].id,
                         products[item.terms.sku].id) for item in items
        ], ["supplier_id", "product_id"], on_progress=on_progress)
    updated = sum(1 for item in items if item.key in existing)
    return ImportOutcome(imported=len(items), created=len(items) - updated, updated=updated,
                         skipped=skipped)


async def _existing_items(
    session: AsyncSession, suppliers: dict[str, Supplier], products: dict[str, Product],
    parsed: Parsed[ItemRow],
) -> set[tuple[str, str]]:
    """The (supplier code, sku) pairs of the file that already have an item."""
    wanted = {(suppliers[item.terms.supplier_code].id, products[item.terms.sku].id): item.key
              for _, item in parsed.rows
              if item.terms.supplier_code in suppliers and item.terms.sku in products}
    product_ids = sorted({product_id for _, product_id in wanted})
    found: set[tuple[str, str]] = set()
    for offset in range(0, len(product_ids), KEYS_PER_QUERY):
        chunk = product_ids[offset:offset + KEYS_PER_QUERY]
        for pair in await session.execute(select(SupplierItem.supplier_id, SupplierItem.product_id)
                                          .where(SupplierItem.product_id.in_(chunk))):
            if tuple(pair) in wanted:
                found.add(wanted[(pair[0], pair[1])])
    return found


def _item_reference_errors(
    parsed: Parsed[ItemRow], suppliers: dict[str, Supplier], products: dict[str, Product],
    existing: set[tuple[str, str]],
) -> list[RowError]:
    errors: list[RowError] = []
    for row_number, item in parsed.rows:
        supplier = suppliers.get(item.terms.supplier_code)
        product = products.get(item.terms.sku)
        if item.terms.supplier_code and supplier is None:
            errors.append(RowError(row_number, "supplier",
                                   f"no supplier {item.terms.supplier_code!r}", "NOT_FOUND"))
        if item.terms.sku and product is None:
            errors.append(RowError(row_number, "sku", f"no product {item.terms.sku!r}",
                                   "NOT_FOUND"))
        if supplier is not None and product is not None and item.key not in existing:
            errors.extend(row_errors(row_number, new_item_problems(supplier, product, item.terms),
                                     {"supplierCode": "supplier", "sku": "sku", "price": "price"}))
    return errors


async def _lock_and_clear_preferred(session: AsyncSession, product_ids: Sequence[int]) -> None:
    """Lock the products getting a preferred item (as ``setSupplierItem`` does, so concurrent
    preferences serialise) and clear their current preferred marks; the upsert sets the new."""
    for offset in range(0, len(product_ids), KEYS_PER_QUERY):
        chunk = list(product_ids[offset:offset + KEYS_PER_QUERY])
        await session.execute(select(Product.id).where(Product.id.in_(chunk)).with_for_update())
        await session.execute(update(SupplierItem).where(
            SupplierItem.product_id.in_(chunk), SupplierItem.preferred.is_(True)
        ).values(preferred=False))


def _item_values(item: ItemRow, supplier_id: int, product_id: int) -> dict[str, Any]:
    terms = item.terms
    assert terms.price is not None and terms.moq is not None and terms.pack_multiple is not None
    return {"supplier_id": supplier_id, "product_id": product_id,
            "price": as_amount(terms.price), "currency": terms.currency,
            "moq": as_amount(terms.moq), "pack_multiple": as_amount(terms.pack_multiple),
            "lead_time_days": terms.lead_time_days, "preferred": bool(terms.preferred),
            "active": True}
