"""Reading a stocktake's lines from the tables: frozen quantities, the ledger's movements on the
counted bins since the freeze, the counts of the current round, the average costs; the pure
rules in ``server.stocktake.rules`` make variances of them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.inventory.models import StockCost, StockLedger
from server.stocktake.events import DOCUMENT_TYPE
from server.stocktake.models import Stocktake, StocktakeBin, StocktakeCount, StocktakeFrozen
from server.stocktake.rules import LineKey, VarianceLine, net_movements, variance_lines


async def frozen_of(session: AsyncSession, stocktake: Stocktake) -> dict[LineKey, Decimal]:
    rows = await session.execute(
        select(StocktakeFrozen.location_id, StocktakeFrozen.product_id, StocktakeFrozen.lot,
               StocktakeFrozen.quantity).where(StocktakeFrozen.stocktake_id == stocktake.id))
    return {(location, product, lot): quantity for location, product, lot, quantity in rows}


async def movements_of(session: AsyncSession, stocktake: Stocktake) -> dict[LineKey, Decimal]:
    """The net quantity the ledger moved into (+) and out of (−) each bin × product × lot of the
    stocktake since its freeze (until its posting), its own adjustments left out."""
    bins = select(StocktakeBin.location_id).where(StocktakeBin.stocktake_id == stocktake.id)
    since = and_(StockLedger.id > stocktake.frozen_after_ledger_id,
                 StockLedger.warehouse_id == stocktake.warehouse_id,
                 ~and_(StockLedger.document_type == DOCUMENT_TYPE,
                       StockLedger.document_number == stocktake.number))
    if stocktake.posted_after_ledger_id is not None:
        since = and_(since, StockLedger.id <= stocktake.posted_after_ledger_id)
    moves: list[tuple[LineKey, Decimal]] = []
    for column, sign in ((StockLedger.to_location_id, 1), (StockLedger.from_location_id, -1)):
        rows = await session.execute(
            select(column, StockLedger.product_id, StockLedger.lot, func.sum(StockLedger.quantity))
            .where(since, column.in_(bins))
            .group_by(column, StockLedger.product_id, StockLedger.lot))
        moves += [((location, product, lot), sign * quantity)
                  for location, product, lot, quantity in rows]
    return net_movements(moves)


async def counted_of(session: AsyncSession, stocktake: Stocktake) -> dict[LineKey, Decimal]:
    """What the devices counted per line in each bin's current round, added up over devices."""
    rows = await session.execute(
        select(StocktakeCount.location_id, StocktakeCount.product_id, StocktakeCount.lot,
               func.sum(StocktakeCount.quantity))
        .join(StocktakeBin, and_(StocktakeBin.stocktake_id == StocktakeCount.stocktake_id,
                                 StocktakeBin.location_id == StocktakeCount.location_id,
                                 StocktakeBin.round == StocktakeCount.round))
        .where(StocktakeCount.stocktake_id == stocktake.id)
        .group_by(StocktakeCount.location_id, StocktakeCount.product_id, StocktakeCount.lot))
    return {(location, product, lot): quantity for location, product, lot, quantity in rows}


async def average_costs(
    session: AsyncSession, warehouse_id: int, product_ids: Iterable[int]
) -> dict[int, Decimal | None]:
    rows = await session.execute(
        select(StockCost.product_id, StockCost.average_cost)
        .where(StockCost.warehouse_id == warehouse_id,
               StockCost.product_id.in_(sorted(set(product_ids)))))
    return dict(rows.all())


async def lines_of(
    session: AsyncSession, stocktake: Stocktake, zero_uncounted: bool | None = None
) -> list[VarianceLine]:
    """The stocktake's lines as they stand now (``zero_uncounted`` defaults to the one the
    stocktake was posted with)."""
    frozen = await frozen_of(session, stocktake)
    moved = await movements_of(session, stocktake)
    counted = await counted_of(session, stocktake)
    products = {key[1] for key in (*frozen, *moved, *counted)}
    costs = await average_costs(session, stocktake.warehouse_id, products)
    zero = stocktake.zero_uncounted if zero_uncounted is None else zero_uncounted
    return variance_lines(frozen, moved, counted, costs, zero_uncounted=zero)
