"""Stock reads: levels per product × warehouse with their bins, and the ledger, newest first."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.auth import Principal, User
from server.catalog.models import Location, Product, Warehouse
from server.catalog.queries import PageRequest
from server.errors import InvalidInput, NotFound
from server.inventory.models import (
    PHYSICAL_BUCKETS,
    Bucket,
    StockCost,
    StockLedger,
    StockPosition,
    StockQuant,
)
from server.inventory.valuation import ZERO, round4
from server.pagination import Page, paginate


@dataclass(frozen=True, slots=True)
class BinQuantity:
    location_code: str
    lot: str  # '' when the stock has no lot
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class StockLevel:
    """Every bucket of one product in one warehouse, its value and where it lies."""

    product_id: int
    sku: str
    warehouse_id: int
    warehouse_code: str
    buckets: dict[Bucket, Decimal]
    average_cost: Decimal | None
    value: Decimal
    version: int
    bins: list[BinQuantity]

    @property
    def on_hand(self) -> Decimal:
        return sum((self.buckets[b] for b in PHYSICAL_BUCKETS), ZERO)

    @property
    def projected(self) -> Decimal:
        """What will be free to sell once what is coming has come and unreserved demand is met."""
        b = self.buckets
        return b[Bucket.AVAILABLE] + b[Bucket.IN_TRANSIT] + b[Bucket.ON_ORDER] - b[
            Bucket.BACKORDERED
        ]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A ledger row with the business keys of what it names."""

    row: StockLedger
    sku: str
    warehouse_code: str
    from_location_code: str | None
    to_location_code: str | None
    actor: str

    @property
    def id(self) -> int:
        return self.row.id


@dataclass(frozen=True, slots=True)
class StockMovement:
    """The answer to a manual movement: its document, its ledger rows, the level after."""

    document_number: str
    entries: list[LedgerEntry]
    level: StockLevel


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    sku: str
    warehouse_code: str | None = None
    document_type: str | None = None
    document_number: str | None = None
    posted_from: datetime | None = None  # inclusive
    posted_to: datetime | None = None  # exclusive


async def levels_of(
    session: AsyncSession, products: Sequence[tuple[int, str]], warehouse: tuple[int, str]
) -> list[StockLevel]:
    """Levels of (product id, sku) pairs in one warehouse, in the given order; three queries."""
    warehouse_id, warehouse_code = warehouse
    ids = [product_id for product_id, _ in products]
    buckets: dict[int, dict[Bucket, Decimal]] = {i: dict.fromkeys(Bucket, ZERO) for i in ids}
    positions = select(StockPosition).where(
        StockPosition.product_id.in_(ids), StockPosition.warehouse_id == warehouse_id
    )
    for position in await session.scalars(positions):
        buckets[position.product_id][Bucket(position.bucket)] = position.quantity
    costs = {
        cost.product_id: cost
        for cost in await session.scalars(select(StockCost).where(
            StockCost.product_id.in_(ids), StockCost.warehouse_id == warehouse_id
        ))
    }
    bins: dict[int, list[BinQuantity]] = defaultdict(list)
    in_bin = func.sum(StockQuant.quantity)
    quants = (
        select(StockQuant.product_id, Location.code, StockQuant.lot, in_bin)
        .join(Location, Location.id == StockQuant.location_id)
        .where(StockQuant.product_id.in_(ids), StockQuant.warehouse_id == warehouse_id,
               StockQuant.quantity > 0)
        .group_by(StockQuant.product_id, Location.code, StockQuant.lot)
        .order_by(Location.code, StockQuant.lot)
    )
    for product_id, code, lot, quantity in (await session.execute(quants)):
        bins[product_id].append(BinQuantity(code, lot, quantity))
    levels = []
    for product_id, sku in products:
        cost = costs.get(product_id)
        levels.append(StockLevel(
            product_id=product_id, sku=sku, warehouse_id=warehouse_id,
            warehouse_code=warehouse_code, buckets=buckets[product_id],
            average_cost=cost.average_cost if cost else None,
            value=round4(cost.value) if cost else ZERO,
            version=cost.version if cost else 0, bins=bins[product_id],
        ))
    return levels


async def _warehouse(session: AsyncSession, code: str) -> Warehouse:
    warehouse = await session.scalar(select(Warehouse).where(Warehouse.code == code))
    if warehouse is None:
        raise NotFound(f"no warehouse with code {code!r}", field="warehouseCode")
    return warehouse


async def stock_levels(
    session: AsyncSession, principal: Principal, warehouse_code: str, skus: Sequence[str],
    max_skus: int,
) -> list[StockLevel]:
    """Levels of the given SKUs in one warehouse, in the order asked (duplicates once)."""
    principal.require_internal()
    wanted = list(dict.fromkeys(skus))
    if len(wanted) > max_skus:
        raise InvalidInput(f"ask for at most {max_skus} skus at a time", field="skus")
    warehouse = await _warehouse(session, warehouse_code)
    found = dict((await session.execute(
        select(Product.sku, Product.id).where(Product.sku.in_(wanted))
    )).all())
    unknown = [sku for sku in wanted if sku not in found]
    if unknown:
        raise NotFound(f"no product with sku {', '.join(unknown)}", field="skus")
    return await levels_of(
        session, [(found[sku], sku) for sku in wanted], (warehouse.id, warehouse.code)
    )


async def entries_of(session: AsyncSession, rows: Sequence[StockLedger]) -> list[LedgerEntry]:
    """Ledger rows with their SKU, warehouse, bin codes and actor, in one query."""
    if not rows:
        return []
    from_bin, to_bin = aliased(Location), aliased(Location)
    stmt = (
        select(StockLedger.id, Product.sku, Warehouse.code, from_bin.code, to_bin.code,
               User.username)
        .join(Product, Product.id == StockLedger.product_id)
        .join(Warehouse, Warehouse.id == StockLedger.warehouse_id)
        .join(User, User.id == StockLedger.actor_user_id)
        .outerjoin(from_bin, from_bin.id == StockLedger.from_location_id)
        .outerjoin(to_bin, to_bin.id == StockLedger.to_location_id)
        .where(StockLedger.id.in_([row.id for row in rows]))
    )
    names = {row_id: rest for row_id, *rest in (await session.execute(stmt))}
    return [LedgerEntry(row, *names[row.id]) for row in rows]


async def stock_ledger(
    session: AsyncSession, principal: Principal, where: LedgerFilter, page: PageRequest
) -> Page[LedgerEntry]:
    """One product's ledger, newest first, optionally narrowed to a warehouse, a document
    and a time window."""
    principal.require_internal()
    product_id = await session.scalar(select(Product.id).where(Product.sku == where.sku))
    if product_id is None:
        raise NotFound(f"no product with sku {where.sku!r}", field="sku")
    stmt = select(StockLedger).where(StockLedger.product_id == product_id)
    if where.warehouse_code is not None:
        warehouse = await _warehouse(session, where.warehouse_code)
        stmt = stmt.where(StockLedger.warehouse_id == warehouse.id)
    if where.document_type is not None:
        stmt = stmt.where(StockLedger.document_type == where.document_type)
    if where.document_number is not None:
        stmt = stmt.where(StockLedger.document_number == where.document_number)
    if where.posted_from is not None:
        stmt = stmt.where(StockLedger.posted_at >= _as_utc(where.posted_from))
    if where.posted_to is not None:
        stmt = stmt.where(StockLedger.posted_at < _as_utc(where.posted_to))
    found = await paginate(session, stmt, StockLedger.id, first=page.first, after=page.after,
                           max_page_size=page.max_page_size, newest_first=True)
    return dataclasses.replace(found, rows=await entries_of(session, found.rows))


def _as_utc(moment: datetime) -> datetime:
    """A time without an offset is taken as UTC, like every time this API gives out."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def movement_of(
    session: AsyncSession, posting_id: str, document_number: str
) -> StockMovement:
    """Rebuild a manual movement's answer from what it wrote (first call and replays alike)."""
    rows = list(await session.scalars(
        select(StockLedger).where(StockLedger.posting_id == posting_id).order_by(StockLedger.id)
    ))
    entries = await entries_of(session, rows)
    first = entries[0]
    [level] = await levels_of(
        session, [(first.row.product_id, first.sku)], (first.row.warehouse_id,
                                                        first.warehouse_code)
    )
    return StockMovement(document_number, entries, level)
