"""Each kind of import against the database (SQLite and PostgreSQL), on tests/world.py's master
data: rows create or overwrite by business key, every reference is checked, a bad file changes
nothing, ``skip_bad_rows`` writes the good rows only, and the roles are the mutations'."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.catalog.models import (
    Customer,
    Location,
    Product,
    ProductBarcode,
    Supplier,
    SupplierItem,
)
from server.db import Database
from server.errors import Forbidden
from server.imports.kinds import ImportKind, import_file
from server.imports.report import FileRejected, RowError
from server.inventory.models import StockCost, StockLedger, StockQuant
from tests.ledger_invariants import assert_ledger_consistent
from tests.world import World, build_world

GOOD_EAN = "6923450657713"
P1_EAN = "6901234567892"


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


async def count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def rejected_rows(db: Database, world: World, kind: ImportKind, data: bytes,
                        user: str = "admin") -> list[tuple[int, str]]:
    principal = world.admin if user == "admin" else world[user]
    with pytest.raises(FileRejected) as rejected:
        await import_file(db, principal, kind, data)
    return [(error.row, error.column) for error in rejected.value.errors]


async def test_products_are_created_and_updated_with_their_barcodes(
    db: Database, world: World
) -> None:
    outcome = await import_file(db, world["purchaser"], ImportKind.PRODUCTS, csv_bytes(
        "sku,name,category,list_price,tags,barcode,case_barcode,case_quantity",
        f"N1,New one,garden,12.5,b; a,{GOOD_EAN},16923450657710,6",
        f"P1,Product P1 renamed,tools,310,,{P1_EAN},,"))
    assert (outcome.imported, outcome.created, outcome.updated) == (2, 1, 1)
    async with db.reader() as session:
        new = await session.scalar(select(Product).where(Product.sku == "N1"))
        renamed = await session.scalar(select(Product).where(Product.sku == "P1"))
        barcodes = dict((await session.execute(
            select(ProductBarcode.barcode, ProductBarcode.pack_quantity)
            .where(ProductBarcode.product_id == new.id))).all())
    assert (new.category, new.list_price, new.tags) == ("garden", Decimal("12.5"), ["a", "b"])
    assert barcodes == {GOOD_EAN: 1, "16923450657710": 6}
    assert (renamed.name, renamed.list_price) == ("Product P1 renamed", 310)


async def test_a_bad_products_file_changes_nothing_and_names_every_bad_cell(
    db: Database, world: World
) -> None:
    before = await count(db, Product)
    assert await rejected_rows(db, world, ImportKind.PRODUCTS, csv_bytes(
        "sku,name,barcode", f"N1,Fine,{GOOD_EAN}", f"N2,Takes P1's,{P1_EAN}",
        "N3,Bad check digit,6923450657714", "N1,Again,")) == [
        (3, "barcode"), (4, "barcode"), (5, "sku")]
    assert await count(db, Product) == before


async def test_skipping_bad_rows_imports_the_good_ones(db: Database, world: World) -> None:
    outcome = await import_file(db, world.admin, ImportKind.PRODUCTS, csv_bytes(
        "sku,name,barcode", f"N1,Fine,{GOOD_EAN}", f"N2,Takes P1's,{P1_EAN}", "N3,Also fine,"),
        skip_bad_rows=True)
    assert outcome.imported == 2 and outcome.skipped_rows == [3]
    assert outcome.skipped == [RowError(3, "barcode", f"barcode {P1_EAN} already belongs to "
                                                      "product P1", "DUPLICATE")]
    async with db.reader() as session:
        skus = set(await session.scalars(select(Product.sku)))
    assert {"N1", "N3"} <= skus and "N2" not in skus


async def test_importing_needs_the_roles_of_the_mutations(db: Database, world: World) -> None:
    data = csv_bytes("sku,name", "N1,New")
    for user, kind in [("warehouse", ImportKind.PRODUCTS), ("sales", ImportKind.SUPPLIERS),
                       ("s1", ImportKind.SUPPLIER_ITEMS), ("purchaser", ImportKind.CUSTOMERS),
                       ("sales", ImportKind.LOCATIONS), ("manager", ImportKind.OPENING_STOCK)]:
        with pytest.raises(Forbidden):
            await import_file(db, world[user], kind, data)


async def test_suppliers_by_code(db: Database, world: World) -> None:
    outcome = await import_file(db, world["manager"], ImportKind.SUPPLIERS, csv_bytes(
        "code,name,contact_email,over_receipt_tolerance_pct",
        "S1,Supplier One Ltd,one@s1.example,2", "S9,Ninth,,"))
    assert (outcome.created, outcome.updated) == (1, 1)
    async with db.reader() as session:
        s1 = await session.scalar(select(Supplier).where(Supplier.code == "S1"))
    assert (s1.name, s1.contact_email, s1.over_receipt_tolerance_pct) == (
        "Supplier One Ltd", "one@s1.example", 2)


async def test_supplier_items_set_terms_and_move_the_preferred_mark(
    db: Database, world: World
) -> None:
    outcome = await import_file(db, world["purchaser"], ImportKind.SUPPLIER_ITEMS, csv_bytes(
        "supplier,sku,price,moq,pack_multiple,lead_time_days,preferred",
        "S2,P1,95,20,10,21,yes", "S1,P1,101,,,,no"))
    assert (outcome.created, outcome.updated) == (1, 1)
    async with db.reader() as session:
        rows = (await session.execute(
            select(Supplier.code, SupplierItem.price, SupplierItem.moq, SupplierItem.lead_time_days,
                   SupplierItem.preferred)
            .join(Supplier).join(Product, Product.id == SupplierItem.product_id)
            .where(Product.sku == "P1").order_by(Supplier.code))).all()
    assert [tuple(row) for row in rows] == [("S1", 101, 1, 7, False), ("S2", 95, 20, 21, True)]


async def test_supplier_items_name_known_suppliers_and_products(
    db: Database, world: World
) -> None:
    async with db.transaction() as session:
        (await session.scalar(select(Supplier).where(Supplier.code == "S2"))).active = False
    assert await rejected_rows(db, world, ImportKind.SUPPLIER_ITEMS, csv_bytes(
        "supplier,sku,price", "S9,P1,1", "S1,P9,1", "S2,P1,1", "S2,P3,1")) == [
        (2, "supplier"), (3, "sku"), (4, "supplier")]
    assert await count(db, SupplierItem) == 3


async def test_customers_and_their_salespeople(db: Database, world: World) -> None:
    assert await rejected_rows(db, world, ImportKind.CUSTOMERS, csv_bytes(
        "code,name,salesperson", "C1,Shop,nobody", "C2,Shop,purchaser"), user="sales") == [
        (2, "salesperson"), (3, "salesperson")]
    outcome = await import_file(db, world["sales"], ImportKind.CUSTOMERS, csv_bytes(
        "客户编码,名称,区域,销售员", "C1,苏州五金店,East,sales", "C2,Other,,"))
    assert outcome.created == 2
    async with db.reader() as session:
        c1 = await session.scalar(select(Customer).where(Customer.code == "C1"))
    assert (c1.name, c1.region, c1.salesperson_id) == ("苏州五金店", "East", world["sales"].user_id)


async def test_locations_stay_in_their_warehouse(db: Database, world: World) -> None:
    assert await rejected_rows(db, world, ImportKind.LOCATIONS, csv_bytes(
        "code,warehouse,type", "WH9-A,WH9,storage"), user="warehouse") == [(2, "warehouse")]
    outcome = await import_file(db, world["warehouse"], ImportKind.LOCATIONS, csv_bytes(
        "code,warehouse,type", "WH1-B-01,WH1,", "WH1-A-01,WH1,staging"))
    assert (outcome.created, outcome.updated) == (1, 1)
    async with db.reader() as session:
        types = dict((await session.execute(select(Location.code, Location.type).where(
            Location.code.in_(["WH1-B-01", "WH1-A-01"])))).all())
    assert types == {"WH1-B-01": "storage", "WH1-A-01": "staging"}


OPENING = csv_bytes("warehouse,location,sku,lot,quantity,unit_cost",
                    "WH1,WH1-A-01,P1,L1,10,2.5", "WH1,WH1-A-02,P1,,5,4", "WH1,WH1-A-01,P3,,3,1")


async def test_opening_stock_is_one_posting_at_the_unit_costs(db: Database, world: World) -> None:
    outcome = await import_file(db, world["warehouse"], ImportKind.OPENING_STOCK, OPENING)
    assert outcome.imported == 3
    async with db.reader() as session:
        postings = set(await session.scalars(select(StockLedger.posting_id)))
        numbers = set(await session.scalars(select(StockLedger.document_number)))
        cost = await session.scalar(select(StockCost).join(Product).where(Product.sku == "P1"))
        quants = await session.scalar(select(func.count()).select_from(StockQuant))
    assert len(postings) == 1 and len(numbers) == 1 and next(iter(numbers)).startswith("OPN-")
    assert (cost.valued_quantity, cost.value, cost.average_cost) == (15, 45, 3)
    assert quants == 3
    await assert_ledger_consistent(db)


async def test_opening_stock_refuses_stocked_products_and_unknown_bins(
    db: Database, world: World
) -> None:
    await import_file(db, world["warehouse"], ImportKind.OPENING_STOCK, OPENING)
    ledger = await count(db, StockLedger)
    assert await rejected_rows(db, world, ImportKind.OPENING_STOCK, OPENING,
                               user="warehouse") == [(2, "sku"), (3, "sku"), (4, "sku")]
    assert await rejected_rows(db, world, ImportKind.OPENING_STOCK, csv_bytes(
        "warehouse,location,sku,quantity,unit_cost", "WH1,WH1-X,P2,1,1", "WH9,WH1-A-01,P2,1,1",
        "WH1,WH1-A-01,P9,1,1"), user="warehouse") == [(2, "location"), (3, "warehouse"),
                                                      (4, "sku")]
    assert await count(db, StockLedger) == ledger
