"""What a supplier user sees of master data: its own supplier, items and products only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.auth import Principal, Role
from server.catalog import access, customers, products, supplier_items, suppliers
from server.catalog.customers import CustomerFilter
from server.catalog.drafts import (
    BarcodeDraft,
    ProductDraft,
    SupplierChanges,
    SupplierDraft,
    SupplierItemTerms,
)
from server.catalog.products import ProductFilter
from server.catalog.queries import PageRequest
from server.catalog.suppliers import SupplierFilter
from server.db import Database
from server.errors import Forbidden
from tests.conftest import UserFactory

PAGE = PageRequest(first=50, after=None, max_page_size=200)


@pytest.fixture
async def acme_user(db: Database, make_user: UserFactory) -> Principal:
    """ACME supplies NUT and SHARED, BOLT supplies BOLT and SHARED; the user works for ACME."""
    purchaser = await make_user(Role.PURCHASER)
    acme = await suppliers.create_supplier(db, purchaser, SupplierDraft("ACME", "Acme"))
    await suppliers.create_supplier(db, purchaser, SupplierDraft("BOLT", "Bolt"))
    for sku in ("NUT", "BOLT", "SHARED"):
        await products.create_product(db, purchaser, ProductDraft(
            sku, sku.lower(), barcodes=(BarcodeDraft(f"BC-{sku}"),)))
    for code, sku in (("ACME", "NUT"), ("ACME", "SHARED"), ("BOLT", "BOLT"), ("BOLT", "SHARED")):
        await supplier_items.set_supplier_item(db, purchaser, SupplierItemTerms(
            code, sku, price=Decimal(1)))
    return await make_user(Role.SUPPLIER, supplier_id=acme.id)


async def test_supplier_user_sees_only_its_supplier(db: Database, acme_user: Principal) -> None:
    async with db.reader() as session:
        page = await suppliers.list_suppliers(session, acme_user, PAGE, SupplierFilter())
        assert [s.code for s in page.rows] == ["ACME"]
        assert await suppliers.supplier_of_code(session, acme_user, "BOLT") is None
        assert await suppliers.supplier_of_code(session, acme_user, "ACME") is not None


async def test_supplier_user_sees_only_products_it_supplies_and_its_own_terms(
    db: Database, acme_user: Principal
) -> None:
    async with db.reader() as session:
        page = await products.list_products(session, acme_user, PAGE, ProductFilter())
        assert [p.sku for p in page.rows] == ["NUT", "SHARED"]
        assert await products.product_of_sku(session, acme_user, "BOLT") is None
        assert await products.product_of_barcode(session, acme_user, "BC-BOLT") is None
        shared = await products.product_of_barcode(session, acme_user, "BC-SHARED")
        assert shared is not None
        [items] = await supplier_items.supplier_items_by_product_ids(session, [shared.id])
    assert len(items) == 2
    visible = access.visible_supplier_items(acme_user, items)
    assert [item.supplier_id for item in visible] == [acme_user.supplier_id]


async def test_supplier_user_gets_no_customers_and_changes_nothing(
    db: Database, acme_user: Principal
) -> None:
    async with db.reader() as session:
        with pytest.raises(Forbidden):
            await customers.list_customers(session, acme_user, PAGE, CustomerFilter())
        with pytest.raises(Forbidden):
            await customers.customer_of_code(session, acme_user, "C-1")
    with pytest.raises(Forbidden):
        await suppliers.update_supplier(db, acme_user, "ACME", SupplierChanges(name="Mine"))
    with pytest.raises(Forbidden):
        await supplier_items.set_supplier_item(db, acme_user, SupplierItemTerms(
            "ACME", "NUT", price=Decimal(0)))
    with pytest.raises(Forbidden):
        await products.create_product(db, acme_user, ProductDraft("NEW", "new"))
    async with db.reader() as session:
        acme = await suppliers.supplier_of_code(session, acme_user, "ACME")
    assert acme is not None and acme.name == "Acme"
