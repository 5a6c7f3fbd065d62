from __future__ import annotations

import random
from datetime import timedelta

import biip
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server import auth, demo
from server.auth import Role, User
from server.catalog.models import (
    Customer,
    Location,
    LocationType,
    Product,
    ProductBarcode,
    Supplier,
    SupplierItem,
    Warehouse,
)
from server.db import Database
from server.demo import DEMO_PASSWORD, DemoStatus, demo_status, load_demo, product_specs
from server.demo_data import USERS
from server.demo_documents import load_demo_documents
from server.errors import InvalidInput, InvalidState
from server.receiving.documents import receiving_document
from server.sales.models import SalesTeam, SalesTeamMember
from tests.conftest import UserFactory

COUNTED = (Warehouse, Location, Supplier, User, Customer, Product, ProductBarcode, SupplierItem)


async def _counts(db: Database) -> dict[str, int]:
    async with db.reader() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            or 0
            for model in COUNTED
        }


async def test_default_demo_has_the_promised_shape(db: Database) -> None:
    summary = await load_demo(db)

    assert await _counts(db) == {
        "warehouse": 3, "location": 72, "supplier": 5, "app_user": 10, "customer": 20,
        "product": 50, "product_barcode": summary.barcodes,
        "supplier_item": summary.supplier_items,
    }
    async with db.reader() as session:
        per_type = dict((await session.execute(
            select(Location.type, func.count()).group_by(Location.type)
        )).all())
        assert per_type == {LocationType.STORAGE.value: 60, LocationType.RECEIVING.value: 3,
                            LocationType.QC.value: 3, LocationType.STAGING.value: 3,
                            LocationType.REJECTED.value: 3}
        assert set(await session.scalars(select(Warehouse.code))) == {"SH", "GZ", "BJ"}
        products = list(await session.scalars(select(Product)))
        assert any(p.qc_required for p in products)
        assert not all(p.qc_required for p in products)
        assert len({p.category for p in products}) >= 5
        assert all(p.list_price > 0 and p.safety_stock > 0 for p in products)
        regions = set(await session.scalars(select(Customer.region)))
        assert len(regions) >= 4
        assert await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.salesperson_id.is_(None))
        ) == 0
        members = (await session.execute(
            select(SalesTeam.code, User.username).join(
                SalesTeamMember, SalesTeamMember.team_id == SalesTeam.id)
            .join(User, User.id == SalesTeamMember.user_id).order_by(SalesTeam.code))).all()
        assert [tuple(row) for row in members] == [("EAST", "sales1"), ("SOUTH", "sales2")]


async def test_barcodes_are_valid_gs1_and_cases_hold_twelve(db: Database) -> None:
    await load_demo(db)
    async with db.reader() as session:
        rows = (await session.execute(
            select(ProductBarcode.product_id, ProductBarcode.barcode, ProductBarcode.pack_quantity)
        )).all()
    units = [(pid, code) for pid, code, pack in rows if pack == 1]
    cases = [(pid, code) for pid, code, pack in rows if pack == 12]
    assert len(units) == 50
    assert len({pid for pid, _ in units}) == 50
    assert 0 < len(cases) < 50
    assert len(units) + len(cases) == len(rows)
    for _, code in units:
        gtin = biip.parse(code).gtin
        assert gtin is not None and gtin.format.name == "GTIN_13", code
    unit_by_product = dict(units)
    for pid, code in cases:
        gtin = biip.parse(code).gtin
        assert gtin is not None and gtin.format.name == "GTIN_14", code
        assert code[1:13] == unit_by_product[pid][:12]


async def test_every_product_has_one_preferred_source_below_list_price(db: Database) -> None:
    await load_demo(db)
    async with db.reader() as session:
        items = (await session.execute(
            select(SupplierItem, Product.list_price).join(Product)
        )).all()
    preferred_per_product: dict[int, int] = {}
    for item, list_price in items:
        assert item.price < list_price
        assert item.moq % item.pack_multiple == 0
        assert item.lead_time_days >= 1
        preferred_per_product[item.product_id] = (
            preferred_per_product.get(item.product_id, 0) + item.preferred
        )
    assert len(preferred_per_product) == 50
    assert set(preferred_per_product.values()) == {1}
    assert len(items) > 50


async def test_a_user_for_every_role_logs_in_with_the_demo_password(db: Database) -> None:
    await load_demo(db)
    async with db.reader() as session:
        users = list(await session.scalars(select(User).options(selectinload(User.role_rows))))
    assert set().union(*(user.roles for user in users)) == set(Role)
    supplier_users = [user for user in users if Role.SUPPLIER in user.roles]
    assert len({user.supplier_id for user in supplier_users}) == 2
    assert all(user.supplier_id is None for user in users if Role.SUPPLIER not in user.roles)
    for user in USERS:
        issued = await auth.login(db, user.username, DEMO_PASSWORD, timedelta(hours=1))
        assert issued.principal.roles == {user.role}


async def test_a_second_load_is_refused_and_changes_nothing(db: Database) -> None:
    assert await demo_status(db) is DemoStatus.EMPTY
    await load_demo(db)
    before = await _counts(db)
    assert await demo_status(db) is DemoStatus.LOADED

    with pytest.raises(InvalidState):
        await load_demo(db)
    assert await _counts(db) == before


async def test_other_data_blocks_the_demo(db: Database, make_user: UserFactory) -> None:
    await make_user(Role.ADMIN, username="someone")
    assert await demo_status(db) is DemoStatus.OTHER_DATA
    with pytest.raises(InvalidState):
        await load_demo(db)
    assert (await _counts(db))["product"] == 0


@pytest.mark.parametrize("products", [0, -1, demo.MAX_PRODUCTS + 1])
async def test_product_count_out_of_range_is_refused(db: Database, products: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        await load_demo(db, products)
    assert raised.value.problems[0].field == "products"
    assert set((await _counts(db)).values()) == {0}


async def test_large_demo_writes_in_batches_and_reports_progress(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "BATCH_SIZE", 100)
    progress: list[int] = []

    summary = await load_demo(db, 250, on_progress=progress.append)

    assert progress == [100, 100, 50]
    counts = await _counts(db)
    assert counts["product"] == summary.products == 250
    assert counts["product_barcode"] == summary.barcodes
    assert counts["supplier_item"] == summary.supplier_items
    async with db.reader() as session:
        skus = list(await session.scalars(select(Product.sku)))
        names = list(await session.scalars(select(Product.name)))
    assert len(set(skus)) == 250
    assert sum("（" in name for name in names) == 200  # variants after the curated 50


def test_same_seed_same_products() -> None:
    first = list(product_specs(120, random.Random(7)))
    again = list(product_specs(120, random.Random(7)))
    assert first == again
    assert len({spec.ean13 for spec in first}) == 120


async def test_demo_documents_leave_an_asn_ready_for_the_dock(db: Database) -> None:
    await load_demo(db)
    documents = await load_demo_documents(db)
    async with db.reader() as session:
        by_notice = await receiving_document(session, documents.notice_number)
        by_pallet = await receiving_document(session, documents.sscc)
    assert by_notice.order.number == documents.order_number
    assert by_notice.order.state == "confirmed"
    assert [line.remaining for line in by_notice.lines] == [line.ordered
                                                            for line in by_notice.lines]
    assert [p.qc_required for p in (line.product for line in by_notice.lines)] == [
        True, False, False]
    assert [line.line_no for line in by_pallet.lines] == [1]
    assert all(line.lot for line in by_notice.lines)
