"""Product use cases and reads on a real database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.auth import Principal, Role
from server.catalog import products
from server.catalog.drafts import BarcodeDraft, ProductChanges, ProductDraft
from server.catalog.models import Product, ProductBarcode
from server.catalog.products import ProductFilter
from server.catalog.queries import PageRequest
from server.db import Database
from server.errors import Duplicate, Forbidden, InvalidInput, NotFound
from tests.conftest import UserFactory

PAGE = PageRequest(first=50, after=None, max_page_size=200)


@pytest.fixture
async def purchaser(make_user: UserFactory) -> Principal:
    return await make_user(Role.PURCHASER)


async def count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def cola(**overrides: object) -> ProductDraft:
    fields: dict[str, object] = {
        "sku": "COLA-330", "name": "Cola 330 ml", "category": "drinks",
        "list_price": Decimal("3.5"), "safety_stock": Decimal(24),
        "barcodes": (BarcodeDraft("6901234567892"), BarcodeDraft("16901234567899", Decimal(12))),
    }
    fields.update(overrides)
    return ProductDraft(**fields)  # type: ignore[arg-type]


async def test_created_product_is_read_back_with_its_barcodes(
    db: Database, purchaser: Principal
) -> None:
    created = await products.create_product(db, purchaser, cola())
    assert (created.sku, created.list_price, created.active) == ("COLA-330", Decimal("3.5000"),
                                                                 True)
    async with db.reader() as session:
        stored = await products.product_of_sku(session, purchaser, "COLA-330")
        assert stored is not None
        assert (stored.name, stored.category, stored.unit_of_measure) == (
            "Cola 330 ml", "drinks", "pcs")
        assert (stored.safety_stock, stored.list_price) == (Decimal(24), Decimal("3.5"))
        [barcodes] = await products.barcodes_by_product_ids(session, [stored.id])
        assert [(b.barcode, b.pack_quantity) for b in barcodes] == [
            ("6901234567892", Decimal(1)), ("16901234567899", Decimal(12))
        ]
        by_case = await products.product_of_barcode(session, purchaser, "16901234567899")
        assert by_case is not None and by_case.id == stored.id


async def test_duplicate_sku_and_taken_barcode_are_reported_together(
    db: Database, purchaser: Principal
) -> None:
    await products.create_product(db, purchaser, cola())
    with pytest.raises(Duplicate) as raised:
        await products.create_product(db, purchaser, cola(
            barcodes=(BarcodeDraft("NEW-1"), BarcodeDraft("6901234567892"))
        ))
    assert [(p.code, p.field) for p in raised.value.problems] == [
        ("DUPLICATE", "sku"), ("DUPLICATE", "barcodes[1].barcode")
    ]
    assert "COLA-330" in raised.value.problems[1].message
    assert (await count(db, Product), await count(db, ProductBarcode)) == (1, 2)


async def test_invalid_product_lists_every_problem_and_writes_nothing(
    db: Database, purchaser: Principal
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await products.create_product(db, purchaser, cola(
            sku="bad sku", list_price=Decimal(-1), safety_stock=Decimal(-2),
            barcodes=(BarcodeDraft("X1", Decimal(0)),),
        ))
    assert [p.field for p in raised.value.problems] == [
        "sku", "safetyStock", "listPrice", "barcodes[0].packQuantity"
    ]
    assert await count(db, Product) == 0


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.SALES, Role.FINANCE_DIRECTOR])
async def test_only_purchasing_roles_edit_products(
    db: Database, make_user: UserFactory, role: Role
) -> None:
    with pytest.raises(Forbidden):
        await products.create_product(db, await make_user(role), cola())
    assert await count(db, Product) == 0
    manager = await make_user(Role.PURCHASE_MANAGER)
    assert (await products.create_product(db, manager, cola())).sku == "COLA-330"


async def test_update_changes_only_the_given_fields_and_barcodes(
    db: Database, purchaser: Principal
) -> None:
    await products.create_product(db, purchaser, cola())
    updated = await products.update_product(db, purchaser, "COLA-330", ProductChanges(
        name="Cola can", qc_required=True,
        add_barcodes=(BarcodeDraft("16901234567899", Decimal(24)), BarcodeDraft("TRAY-6",
                                                                               Decimal(6))),
        remove_barcodes=("6901234567892",),
    ))
    assert (updated.name, updated.category, updated.qc_required, updated.list_price) == (
        "Cola can", "drinks", True, Decimal("3.5"))
    async with db.reader() as session:
        [barcodes] = await products.barcodes_by_product_ids(session, [updated.id])
    assert [(b.barcode, b.pack_quantity) for b in barcodes] == [
        ("TRAY-6", Decimal(6)), ("16901234567899", Decimal(24))
    ]


async def test_update_with_bad_barcodes_changes_nothing(
    db: Database, purchaser: Principal
) -> None:
    await products.create_product(db, purchaser, cola())
    await products.create_product(db, purchaser, cola(sku="TEA", barcodes=(BarcodeDraft("T1"),)))
    with pytest.raises(Duplicate) as raised:
        await products.update_product(db, purchaser, "COLA-330", ProductChanges(
            name="renamed", add_barcodes=(BarcodeDraft("T1"),), remove_barcodes=("NOPE",),
        ))
    assert [(p.code, p.field) for p in raised.value.problems] == [
        ("DUPLICATE", "addBarcodes[0].barcode"), ("NOT_FOUND", "removeBarcodes[0]")
    ]
    async with db.reader() as session:
        stored = await products.product_of_sku(session, purchaser, "COLA-330")
    assert stored is not None and stored.name == "Cola 330 ml"
    assert await count(db, ProductBarcode) == 3


async def test_update_of_unknown_sku_is_not_found(db: Database, purchaser: Principal) -> None:
    with pytest.raises(NotFound) as raised:
        await products.update_product(db, purchaser, "GHOST", ProductChanges(name="x"))
    assert raised.value.problems[0].field == "sku"


async def test_deactivate_reactivate_and_filters(db: Database, purchaser: Principal) -> None:
    await products.create_product(db, purchaser, cola())
    await products.create_product(db, purchaser, cola(sku="TEA-500", name="Green tea",
                                                      barcodes=()))
    await products.create_product(db, purchaser, cola(sku="SOAP", name="Soap bar",
                                                      category="household", barcodes=()))
    await products.update_product(db, purchaser, "TEA-500", ProductChanges(active=False))
    await products.update_product(db, purchaser, "SOAP", ProductChanges(qc_required=True))

    async def skus(where: ProductFilter) -> list[str]:
        async with db.reader() as session:
            page = await products.list_products(session, purchaser, PAGE, where)
        return [p.sku for p in page.rows]

    assert await skus(ProductFilter()) == ["COLA-330", "TEA-500", "SOAP"]
    assert await skus(ProductFilter(active=True)) == ["COLA-330", "SOAP"]
    assert await skus(ProductFilter(active=False)) == ["TEA-500"]
    assert await skus(ProductFilter(category="drinks")) == ["COLA-330", "TEA-500"]
    assert await skus(ProductFilter(qc_required=True)) == ["SOAP"]
    assert await skus(ProductFilter(search="green")) == ["TEA-500"]
    assert await skus(ProductFilter(search="cola-3")) == ["COLA-330"]
    assert await skus(ProductFilter(search="%")) == []
    await products.update_product(db, purchaser, "TEA-500", ProductChanges(active=True))
    assert await skus(ProductFilter(active=True)) == ["COLA-330", "TEA-500", "SOAP"]


async def test_pages_follow_the_cursor(db: Database, purchaser: Principal) -> None:
    for n in range(5):
        await products.create_product(db, purchaser, cola(sku=f"P{n}", barcodes=()))
    async with db.reader() as session:
        first = await products.list_products(
            session, purchaser, PageRequest(2, None, 200), ProductFilter())
        second = await products.list_products(
            session, purchaser, PageRequest(2, first.cursors[-1], 200), ProductFilter())
        last = await products.list_products(
            session, purchaser, PageRequest(2, second.cursors[-1], 200), ProductFilter())
    assert [[p.sku for p in page.rows] for page in (first, second, last)] == [
        ["P0", "P1"], ["P2", "P3"], ["P4"]
    ]
    assert (first.has_next_page, second.has_next_page, last.has_next_page) == (True, True, False)


async def test_tags_are_trimmed_kept_once_sorted_and_replaced_on_update(
    db: Database, purchaser: Principal
) -> None:
    created = await products.create_product(db, purchaser, cola(tags=(" summer", "promo",
                                                                      "summer ")))
    assert created.tags == ["promo", "summer"]
    updated = await products.update_product(db, purchaser, "COLA-330",
                                            ProductChanges(tags=("seasonal",)))
    assert updated.tags == ["seasonal"]
    kept = await products.update_product(db, purchaser, "COLA-330", ProductChanges(name="Cola"))
    assert kept.tags == ["seasonal"], "changes without tags leave them alone"
    with pytest.raises(InvalidInput) as refused:
        await products.update_product(db, purchaser, "COLA-330",
                                      ProductChanges(tags=("ok", " ", "x" * 51)))
    assert [p.field for p in refused.value.problems] == ["tags[1]", "tags[2]"]
    async with db.reader() as session:
        stored = await products.product_of_sku(session, purchaser, "COLA-330")
    assert stored is not None and stored.tags == ["seasonal"]
