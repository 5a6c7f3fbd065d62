"""Supplier and supplier-item use cases and reads on a real database."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.auth import Principal, Role
from server.catalog import products, supplier_items, suppliers
from server.catalog.drafts import (
    ProductChanges,
    ProductDraft,
    SupplierChanges,
    SupplierDraft,
    SupplierItemTerms,
)
from server.catalog.models import Supplier, SupplierItem
from server.catalog.queries import PageRequest
from server.catalog.suppliers import SupplierFilter
from server.db import Database
from server.errors import Duplicate, Forbidden, InvalidInput, NotFound
from tests.conftest import UserFactory

PAGE = PageRequest(first=50, after=None, max_page_size=200)


@pytest.fixture
async def purchaser(make_user: UserFactory) -> Principal:
    return await make_user(Role.PURCHASER)


@pytest.fixture
async def catalog(db: Database, purchaser: Principal) -> None:
    """Two suppliers and two products to set terms between."""
    for code in ("ACME", "BOLT"):
        await suppliers.create_supplier(db, purchaser, SupplierDraft(code, f"{code} Ltd"))
    for sku in ("NUT-M6", "BOLT-M6"):
        await products.create_product(db, purchaser, ProductDraft(sku, sku.lower()))


async def count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def items_of(db: Database, sku: str) -> list[tuple[str, bool, bool]]:
    """(supplier code, preferred, active) of the product's items, in the loader's order."""
    async with db.reader() as session:
        product = await products.product_of_sku(session, Principal(0, "x", frozenset({Role.ADMIN})),
                                                sku)
        assert product is not None
        [items] = await supplier_items.supplier_items_by_product_ids(session, [product.id])
        by_id = {s.id: s.code for s in await session.scalars(select(Supplier))}
    return [(by_id[item.supplier_id], item.preferred, item.active) for item in items]


async def test_supplier_is_created_updated_and_deactivated(
    db: Database, purchaser: Principal
) -> None:
    created = await suppliers.create_supplier(db, purchaser, SupplierDraft(
        "ACME", "Acme Ltd", contact_name="Li Wei", contact_email="li@acme.cn",
        over_receipt_tolerance_pct=Decimal(5),
    ))
    assert (created.code, created.over_receipt_tolerance_pct, created.active) == (
        "ACME", Decimal(5), True)
    updated = await suppliers.update_supplier(db, purchaser, "ACME", SupplierChanges(
        contact_phone="+86 21 5555 0100", active=False
    ))
    assert (updated.name, updated.contact_name, updated.contact_phone, updated.active) == (
        "Acme Ltd", "Li Wei", "+86 21 5555 0100", False)
    async with db.reader() as session:
        inactive = await suppliers.list_suppliers(session, purchaser, PAGE,
                                                  SupplierFilter(active=False))
        assert [s.code for s in inactive.rows] == ["ACME"]
        found = await suppliers.list_suppliers(session, purchaser, PAGE,
                                               SupplierFilter(search="acme l"))
        assert [s.code for s in found.rows] == ["ACME"]
        assert (await suppliers.list_suppliers(session, purchaser, PAGE,
                                               SupplierFilter(search="zz"))).rows == []


async def test_duplicate_and_invalid_suppliers_write_nothing(
    db: Database, purchaser: Principal
) -> None:
    await suppliers.create_supplier(db, purchaser, SupplierDraft("ACME", "Acme Ltd"))
    with pytest.raises(Duplicate):
        await suppliers.create_supplier(db, purchaser, SupplierDraft("ACME", "Other"))
    with pytest.raises(InvalidInput) as raised:
        await suppliers.create_supplier(db, purchaser, SupplierDraft(
            "NEW", " ", contact_email="not-mail", over_receipt_tolerance_pct=Decimal("-0.5")
        ))
    assert [p.field for p in raised.value.problems] == [
        "name", "contactEmail", "overReceiptTolerancePct"
    ]
    with pytest.raises(NotFound):
        await suppliers.update_supplier(db, purchaser, "GHOST", SupplierChanges(name="x"))
    assert await count(db, Supplier) == 1


async def test_new_item_gets_defaults_and_updates_change_only_given_terms(
    db: Database, purchaser: Principal, catalog: None
) -> None:
    item = await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
        "ACME", "NUT-M6", price=Decimal("0.12")
    ))
    assert (item.price, item.currency, item.moq, item.pack_multiple, item.lead_time_days,
            item.preferred, item.active) == (
        Decimal("0.12"), "CNY", Decimal(1), Decimal(1), 7, False, True)
    again = await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
        "ACME", "NUT-M6", moq=Decimal(1000), pack_multiple=Decimal(100), lead_time_days=14,
        currency="USD",
    ))
    assert again.id == item.id
    assert (again.price, again.currency, again.moq, again.pack_multiple,
            again.lead_time_days) == (Decimal("0.12"), "USD", Decimal(1000), Decimal(100), 14)
    assert await count(db, SupplierItem) == 1


async def test_item_problems_are_reported_and_write_nothing(
    db: Database, purchaser: Principal, catalog: None
) -> None:
    with pytest.raises(NotFound) as missing:
        await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
            "GHOST", "NOPE", price=Decimal(1)))
    assert [(p.code, p.field) for p in missing.value.problems] == [
        ("NOT_FOUND", "supplierCode"), ("NOT_FOUND", "sku")
    ]
    with pytest.raises(InvalidInput) as invalid:
        await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
            "ACME", "NUT-M6", price=Decimal(-1), currency="yuan", moq=Decimal(0),
            pack_multiple=Decimal(0), lead_time_days=-1,
        ))
    assert [p.field for p in invalid.value.problems] == [
        "price", "currency", "moq", "packMultiple", "leadTimeDays"
    ]
    with pytest.raises(InvalidInput) as no_price:
        await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
            "ACME", "NUT-M6", moq=Decimal(10)))
    assert no_price.value.problems[0].field == "price"
    await suppliers.update_supplier(db, purchaser, "BOLT", SupplierChanges(active=False))
    await products.update_product(db, purchaser, "BOLT-M6", ProductChanges(active=False))
    with pytest.raises(InvalidInput) as inactive:
        await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
            "BOLT", "BOLT-M6", price=Decimal(1)))
    assert [p.field for p in inactive.value.problems] == ["supplierCode", "sku"]
    assert await count(db, SupplierItem) == 0


async def test_preferring_one_item_clears_the_others_of_that_product(
    db: Database, purchaser: Principal, catalog: None
) -> None:
    for code in ("ACME", "BOLT"):
        await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
            code, "NUT-M6", price=Decimal("0.10"), preferred=True))
        await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
            code, "BOLT-M6", price=Decimal("0.20"), preferred=code == "ACME"))
    assert await items_of(db, "NUT-M6") == [("BOLT", True, True), ("ACME", False, True)]
    assert await items_of(db, "BOLT-M6") == [("ACME", True, True), ("BOLT", False, True)]
    await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
        "BOLT", "NUT-M6", active=False))
    assert await items_of(db, "NUT-M6") == [("ACME", False, True), ("BOLT", False, False)]
    with pytest.raises(InvalidInput) as raised:
        await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
            "BOLT", "NUT-M6", preferred=True))
    assert raised.value.problems[0].field == "preferred"
    reactivated = await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
        "BOLT", "NUT-M6", preferred=True, active=True))
    assert (reactivated.preferred, reactivated.active) == (True, True)
    assert await items_of(db, "NUT-M6") == [("BOLT", True, True), ("ACME", False, True)]


async def test_warehouse_staff_cannot_touch_suppliers_or_terms(
    db: Database, make_user: UserFactory, purchaser: Principal, catalog: None
) -> None:
    clerk = await make_user(Role.WAREHOUSE)
    with pytest.raises(Forbidden):
        await suppliers.create_supplier(db, clerk, SupplierDraft("NEW", "New"))
    with pytest.raises(Forbidden):
        await suppliers.update_supplier(db, clerk, "ACME", SupplierChanges(active=False))
    with pytest.raises(Forbidden):
        await supplier_items.set_supplier_item(db, clerk, SupplierItemTerms(
            "ACME", "NUT-M6", price=Decimal(1)))
    assert (await count(db, Supplier), await count(db, SupplierItem)) == (2, 0)
    async with db.reader() as session:
        page = await suppliers.list_suppliers(session, clerk, PAGE, SupplierFilter(active=True))
    assert [s.code for s in page.rows] == ["ACME", "BOLT"]


async def test_concurrent_preferences_leave_exactly_one_preferred_item(
    db: Database, purchaser: Principal, catalog: None, postgres_only: None
) -> None:
    """Eight purchasers prefer eight suppliers' items for one product at the same moment; without
    the product row lock several items stayed preferred in every round."""
    codes = [f"RIVAL-{n}" for n in range(8)]
    for code in codes:
        await suppliers.create_supplier(db, purchaser, SupplierDraft(code, code))
        await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
            code, "NUT-M6", price=Decimal(1)))
    for _ in range(5):
        await asyncio.gather(*(
            supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
                code, "NUT-M6", preferred=True))
            for code in codes
        ))
        preferred = [code for code, is_preferred, _ in await items_of(db, "NUT-M6")
                     if is_preferred]
        assert len(preferred) == 1, preferred
