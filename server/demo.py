"""Loads realistic demo data into an empty database, fast enough for 100,000 products.

The demo is a bulk loader, not a user of the API: it writes the tables directly with batched
``INSERT``s (one statement per few thousand rows), all in one transaction, so a failure leaves the
database as empty as it found it. The same seed gives the same data every time.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from biip.checksums import gs1_standard_check_digit
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import User, UserRole, hash_password
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
from server.db import Database, IdMixin
from server.demo_data import (
    BINS_PER_AISLE,
    CURATED_PRODUCTS,
    CUSTOMERS,
    DISTRIBUTOR_CODE,
    SALES_REGIONS,
    SALES_TEAMS,
    SKU_PREFIX,
    STORAGE_AISLES,
    SUPPLIERS,
    USERS,
    VARIANTS,
    WAREHOUSES,
    CuratedProduct,
)
from server.errors import InvalidInput, InvalidState
from server.sales.models import SalesTeam, SalesTeamMember

DEMO_PASSWORD = "caixiao-demo"
DEFAULT_PRODUCTS = len(CURATED_PRODUCTS)
MAX_PRODUCTS = 100_000
CASE_PACK_QUANTITY = Decimal(12)
BATCH_SIZE = 5_000
SEED = 2026
# GS1 China company prefix range (690-699); the item reference is the product's index.
EAN_BODY_BASE = 692_345_000_000
CENT = Decimal("0.01")
DIME = Decimal("0.10")

NOT_EMPTY_MESSAGE = (
    "the database already holds data; the demo loads only into an empty database "
    "(use a new CAIXIAO_DATABASE_URL, or `caixiao db downgrade` then `caixiao db upgrade`)"
)

ProgressCallback = Callable[[int], None]
"""Called with the number of products just written, after each batch."""

# Tables that, when any holds a row, make the database "not empty" for the demo.
_MASTER_TABLES: tuple[type[IdMixin], ...] = (User, Warehouse, Supplier, Customer, Product)


class DemoStatus(StrEnum):
    EMPTY = "empty"
    LOADED = "loaded"
    OTHER_DATA = "other data"


@dataclass(frozen=True, slots=True)
class DemoSummary:
    warehouses: int
    locations: int
    suppliers: int
    users: int
    customers: int
    products: int
    barcodes: int
    supplier_items: int


@dataclass(frozen=True, slots=True)
class ProductSpec:
    sku: str
    name: str
    category: str
    unit: str
    list_price: Decimal
    qc_required: bool
    sold_by_case: bool
    ean13: str


def ean13(index: int) -> str:
    body = f"{EAN_BODY_BASE + index:012d}"
    return body + str(gs1_standard_check_digit(body))


def case_gtin14(ean: str) -> str:
    """The case's GTIN-14: packaging indicator 1, the unit's first 12 digits, a new check."""
    body = "1" + ean[:12]
    return body + str(gs1_standard_check_digit(body))


def product_specs(count: int, rng: random.Random) -> Iterator[ProductSpec]:
    """The curated products first, then deterministic variants of them."""
    for index in range(count):
        template = CURATED_PRODUCTS[index % len(CURATED_PRODUCTS)]
        round_ = index // len(CURATED_PRODUCTS)
        yield _spec(index, template, round_, rng)


def _spec(index: int, template: CuratedProduct, round_: int, rng: random.Random) -> ProductSpec:
    if round_ == 0:
        name, price = template.name, template.list_price
    else:
        variant = VARIANTS[(round_ - 1) % len(VARIANTS)]
        name = f"{template.name}（{variant}）"
        factor = Decimal(str(round(rng.uniform(0.8, 1.3), 2)))
        price = max(DIME, (template.list_price * factor).quantize(DIME, ROUND_HALF_UP))
    return ProductSpec(
        sku=f"{SKU_PREFIX[template.category]}-{index + 1:06d}",
        name=name,
        category=template.category,
        unit=template.unit,
        list_price=price,
        qc_required=template.qc_required,
        sold_by_case=template.sold_by_case,
        ean13=ean13(index),
    )


async def demo_status(db: Database) -> DemoStatus:
    """Whether the database is empty, holds the demo (its users exist), or holds other data."""
    async with db.reader() as session:
        if await _is_empty(session):
            return DemoStatus.EMPTY
        demo_usernames = [user.username for user in USERS]
        found = await session.scalar(
            select(func.count()).select_from(User).where(User.username.in_(demo_usernames))
        )
    return DemoStatus.LOADED if found == len(demo_usernames) else DemoStatus.OTHER_DATA


async def _is_empty(session: AsyncSession) -> bool:
    for model in _MASTER_TABLES:
        if await session.scalar(select(model.id).limit(1)) is not None:
            return False
    return True


async def load_demo(
    db: Database, products: int = DEFAULT_PRODUCTS, on_progress: ProgressCallback | None = None
) -> DemoSummary:
    """Fill an empty database with the demo; refuse (and write nothing) if it holds data."""
    if not 1 <= products <= MAX_PRODUCTS:
        raise InvalidInput(
            f"products must be between 1 and {MAX_PRODUCTS:,} (got {products})", field="products"
        )
    rng = random.Random(SEED)
    async with db.transaction() as session:
        if not await _is_empty(session):
            raise InvalidState(NOT_EMPTY_MESSAGE)
        locations = await _load_warehouses(session)
        supplier_id_by_code = await _insert_and_map_ids(session, Supplier, "code", [
            {"code": s.code, "name": s.name, "contact_name": s.contact_name,
             "contact_phone": s.contact_phone, "contact_email": s.contact_email,
             "over_receipt_tolerance_pct": s.tolerance_pct}
            for s in SUPPLIERS
        ])
        user_id_by_name = await _load_users(session, supplier_id_by_code)
        await _load_customers(session, user_id_by_name)
        await _load_sales_teams(session, user_id_by_name)
        barcodes, items = await _load_products(
            session, products, rng, supplier_id_by_code, on_progress
        )
    return DemoSummary(
        warehouses=len(WAREHOUSES), locations=locations, suppliers=len(SUPPLIERS),
        users=len(USERS), customers=len(CUSTOMERS), products=products, barcodes=barcodes,
        supplier_items=items,
    )


async def _insert_and_map_ids(
    session: AsyncSession, model: type[IdMixin], key: str, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert rows as one executemany; the new ids keyed by each row's unique ``key``.

    Inserting plainly and reading the ids back by key beats ``INSERT ... RETURNING`` here: with
    RETURNING, SQLAlchemy either goes row by row (SQLite, to keep parameter order) or builds
    huge multi-row statements that psycopg parses slowly; a plain executemany is pipelined."""
    await session.execute(insert(model), rows)
    key_column = getattr(model, key)
    keys = [row[key] for row in rows]
    found = await session.execute(select(key_column, model.id).where(key_column.in_(keys)))
    return {row_key: row_id for row_key, row_id in found}


async def _load_warehouses(session: AsyncSession) -> int:
    warehouse_ids = await _insert_and_map_ids(
        session, Warehouse, "code", [{"code": w.code, "name": w.name} for w in WAREHOUSES]
    )
    rows: list[dict[str, Any]] = []
    for warehouse in WAREHOUSES:
        warehouse_id = warehouse_ids[warehouse.code]
        areas = [("RCV", LocationType.RECEIVING), ("QC", LocationType.QC),
                 ("STG", LocationType.STAGING), ("REJ", LocationType.REJECTED)]
        rows += [{"code": f"{warehouse.code}-{suffix}", "warehouse_id": warehouse_id,
                  "type": kind.value} for suffix, kind in areas]
        rows += [{"code": f"{warehouse.code}-{aisle}-{bin_:02d}", "warehouse_id": warehouse_id,
                  "type": LocationType.STORAGE.value}
                 for aisle in STORAGE_AISLES for bin_ in range(1, BINS_PER_AISLE + 1)]
    await session.execute(insert(Location), rows)
    return len(rows)


async def _load_users(session: AsyncSession, supplier_id_by_code: dict[str, int]) -> dict[str, int]:
    # One argon2 hash for all: the demo users share a published password anyway, and hashing
    # ten times would only slow the demo down.
    password_hash = hash_password(DEMO_PASSWORD)
    user_ids = await _insert_and_map_ids(session, User, "username", [
        {"username": u.username, "display_name": u.display_name, "password_hash": password_hash,
         "supplier_id": supplier_id_by_code[u.supplier_code] if u.supplier_code else None}
        for u in USERS
    ])
    await session.execute(insert(UserRole), [
        {"user_id": user_ids[user.username], "role": user.role.value} for user in USERS
    ])
    return user_ids


async def _load_customers(session: AsyncSession, user_id_by_name: dict[str, int]) -> None:
    rep_by_region = {region: user_id_by_name[rep]
                     for rep, regions in SALES_REGIONS.items() for region in regions}
    await session.execute(insert(Customer), [
        {"code": c.code, "name": c.name, "region": c.region,
         "salesperson_id": rep_by_region[c.region]}
        for c in CUSTOMERS
    ])


async def _load_sales_teams(session: AsyncSession, user_id_by_name: dict[str, int]) -> None:
    team_ids = await _insert_and_map_ids(session, SalesTeam, "code", [
        {"code": code, "name": name} for code, (name, _members) in SALES_TEAMS.items()])
    await session.execute(insert(SalesTeamMember), [
        {"user_id": user_id_by_name[username], "team_id": team_ids[code]}
        for code, (_name, members) in SALES_TEAMS.items() for username in members])


async def _load_products(
    session: AsyncSession,
    count: int,
    rng: random.Random,
    supplier_id_by_code: dict[str, int],
    on_progress: ProgressCallback | None,
) -> tuple[int, int]:
    category_supplier = {category: supplier_id_by_code[s.code]
                         for s in SUPPLIERS for category in s.categories}
    lead_time = {supplier_id_by_code[s.code]: s.lead_time_days for s in SUPPLIERS}
    distributor_id = supplier_id_by_code[DISTRIBUTOR_CODE]
    barcodes = items = 0
    specs = product_specs(count, rng)
    for start in range(0, count, BATCH_SIZE):
        batch = [next(specs) for _ in range(min(BATCH_SIZE, count - start))]
        product_ids = await _insert_and_map_ids(session, Product, "sku", [
            {"sku": s.sku, "name": s.name, "category": s.category, "unit_of_measure": s.unit,
             "qc_required": s.qc_required, "list_price": s.list_price,
             "safety_stock": Decimal(rng.choice((12, 24, 36, 48, 60, 100, 120, 200)))}
            for s in batch
        ])
        barcode_rows: list[dict[str, Any]] = []
        item_rows: list[dict[str, Any]] = []
        for offset, spec in enumerate(batch):
            product_id = product_ids[spec.sku]
            barcode_rows.append({"product_id": product_id, "barcode": spec.ean13,
                                 "pack_quantity": Decimal(1)})
            if spec.sold_by_case:
                barcode_rows.append({"product_id": product_id, "barcode": case_gtin14(spec.ean13),
                                     "pack_quantity": CASE_PACK_QUANTITY})
            preferred = category_supplier[spec.category]
            item_rows.append(_supplier_item(rng, spec, product_id, preferred, lead_time[preferred],
                                            preferred=True, discount=(0.55, 0.78)))
            if (start + offset) % 2 == 0:
                item_rows.append(_supplier_item(rng, spec, product_id, distributor_id,
                                                lead_time[distributor_id], preferred=False,
                                                discount=(0.80, 0.92)))
        await session.execute(insert(ProductBarcode), barcode_rows)
        await session.execute(insert(SupplierItem), item_rows)
        barcodes += len(barcode_rows)
        items += len(item_rows)
        if on_progress is not None:
            on_progress(len(batch))
    return barcodes, items


def _supplier_item(
    rng: random.Random,
    spec: ProductSpec,
    product_id: int,
    supplier_id: int,
    base_lead_time: int,
    *,
    preferred: bool,
    discount: tuple[float, float],
) -> dict[str, Any]:
    """Terms below list price; case goods are ordered in whole cases."""
    # Discounts stay at or under 92 % and list prices at or over 0.10, so the rounded price is
    # always at least a cent below list.
    factor = Decimal(str(round(rng.uniform(*discount), 3)))
    price = (spec.list_price * factor).quantize(CENT, ROUND_HALF_UP)
    pack = CASE_PACK_QUANTITY if spec.sold_by_case else Decimal(rng.choice((1, 1, 5, 10)))
    return {
        "supplier_id": supplier_id,
        "product_id": product_id,
        "price": price,
        "currency": "CNY",
        "moq": pack * rng.choice((1, 2, 4, 10)),
        "pack_multiple": pack,
        "lead_time_days": max(1, base_lead_time + rng.randint(-1, 3)),
        "preferred": preferred,
    }
