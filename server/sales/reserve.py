"""Reserving stock for sales order lines, backordering what is missing, releasing it again.

A reservation moves ``available@bin(lot) → reserved@bin(lot)`` and records a ``Reservation``
row; a backorder moves ``(outside) → backordered``; serving a backorder moves it back out and
reserves; a release moves reserved stock back to ``available`` and the backorder out. Stock is
taken first to expire, then first received, then by bin code, from storage, staging and
receiving bins only.

Lock order, which every caller keeps so that no two transactions wait on each other:
``lock_stock`` on every product × warehouse the transaction will touch (cost rows, sorted),
then ``sales_order`` rows in id order, then what ``post_moves`` locks. A document number may
be taken before the stock is locked or after it (then nothing may wait on stock rows while the
number is held). The backorder allocator runs inside other postings, which already hold the cost
rows of the stock they freed, and then locks orders: so code that locks an order and then
reserves or releases must have called ``lock_stock`` for the order's products before locking
the order.
Once the cost rows are held, stock read from the quants is the latest committed and stays so
until commit (every posting locks a pair's cost row first): a plan made from it cannot fail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import inspect, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from server.auth import Principal
from server.catalog.models import Location, LocationType, Product
from server.inventory.balances import Pair, ensure_cost_rows, lock_costs
from server.inventory.models import Bucket, StockCost, StockLot, StockQuant
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import Locks, Posting, post_moves
from server.receiving.tasks import settle_putaways
from server.sales.alerts import DOCUMENT_TYPE, AlertKind, party_of, sales_alert
from server.sales.models import Reservation, SalesOrder, SalesOrderLine, ShortagePolicy
from server.sales.requisition import raise_requisitions
from server.sales.rules import (
    LineRequest,
    Shortage,
    ShortageRefused,
    StockSpot,
    crossed_below,
    expected_text,
    plain,
    policy_refuses,
    release_split,
    shortages_of,
    take,
)
from server.sales.supply import Expected, expected_supply, with_expected

ZERO = Decimal(0)
RESERVABLE_BINS = (LocationType.STORAGE.value, LocationType.STAGING.value,
                   LocationType.RECEIVING.value)


async def lock_stock(session: AsyncSession, pairs: Iterable[Pair]) -> dict[Pair, Decimal | None]:
    """Lock the cost rows of these product × warehouse pairs in the global order, creating the
    missing ones (so even a product never stocked is locked against a first receipt); returns
    each pair's moving-average cost (None before any stock came in)."""
    ordered = sorted(set(pairs))
    if not ordered:
        return {}
    await ensure_cost_rows(session, ordered)
    rows = await session.execute(
        select(StockCost.product_id, StockCost.warehouse_id, StockCost.average_cost)
        .where(tuple_(StockCost.product_id, StockCost.warehouse_id).in_(ordered))
        .order_by(StockCost.product_id, StockCost.warehouse_id).with_for_update()
    )
    return {(product_id, warehouse_id): average for product_id, warehouse_id, average in rows}


async def lock_for_posting(session: AsyncSession, pairs: Iterable[Pair]) -> Locks:
    """``lock_stock`` for a transaction that posts on every one of the pairs or rolls back: the
    locks are the posting's own (``post_moves(locked=...)`` then locks nothing again), so each
    cost row is locked, created if new and its version bumped by one statement."""
    return await lock_costs(session, sorted(set(pairs)))


class StockPool:
    """Available stock of some product × warehouse pairs, drawn down as plans take from it."""

    def __init__(self, spots: Mapping[Pair, list[StockSpot]]) -> None:
        self._spots = {pair: list(found) for pair, found in spots.items()}

    def available(self, pair: Pair) -> Decimal:
        return sum((spot.quantity for spot in self._spots.get(pair, ())), ZERO)

    def take(self, pair: Pair, quantity: Decimal) -> list[tuple[StockSpot, Decimal]]:
        taken = take(self._spots.get(pair, []), quantity)
        left = {(s.location_id, s.lot): s.quantity for s in self._spots.get(pair, [])}
        for spot, part in taken:
            left[(spot.location_id, spot.lot)] -= part
        self._spots[pair] = [
            StockSpot(s.location_id, s.location_code, s.lot, left[(s.location_id, s.lot)],
                      s.expiry, s.first_received_at)
            for s in self._spots.get(pair, []) if left[(s.location_id, s.lot)] > 0
        ]
        return taken


async def load_pool(
    session: AsyncSession, pairs: Iterable[Pair], exclude_bins: Collection[int] = ()
) -> StockPool:
    """The reservable stock of the pairs, leaving out ``exclude_bins``: call ``lock_stock`` on
    them first."""
    wanted = sorted(set(pairs))
    spots: dict[Pair, list[StockSpot]] = defaultdict(list)
    if not wanted:
        return StockPool(spots)
    rows = await session.execute(
        select(StockQuant.product_id, StockQuant.warehouse_id, StockQuant.location_id,
               Location.code, StockQuant.lot, StockQuant.quantity, StockLot.expiry,
               StockLot.first_received_at)
        .join(Location, Location.id == StockQuant.location_id)
        .outerjoin(StockLot, (StockLot.product_id == StockQuant.product_id)
                   & (StockLot.lot == StockQuant.lot))
        .where(tuple_(StockQuant.product_id, StockQuant.warehouse_id).in_(wanted),
               StockQuant.bucket == Bucket.AVAILABLE.value, StockQuant.quantity > 0,
               Location.type.in_(RESERVABLE_BINS), Location.id.not_in(exclude_bins))
    )
    for row in rows:
        spots[(row.product_id, row.warehouse_id)].append(StockSpot(
            row.location_id, row.code, row.lot, row.quantity, row.expiry,
            row.first_received_at if row.lot else None))
    return StockPool(spots)


@dataclass
class LinePlan:
    """What one posting does to one line: stock to reserve, a new backorder, a backorder
    served (taken off the backorder as the stock is reserved)."""

    line: SalesOrderLine
    taken: list[tuple[StockSpot, Decimal]] = field(default_factory=list)
    backorder: Decimal = ZERO
    served: Decimal = ZERO

    @property
    def reserved(self) -> Decimal:
        return sum((part for _, part in self.taken), ZERO)


def _moves(order: SalesOrder, plan: LinePlan) -> list[Move]:
    line = plan.line
    base = {"product_id": line.product_id, "warehouse_id": order.warehouse_id,
            "document_line": line.line_no}
    moves = [Move(**base, quantity=part, lot=spot.lot,
                  from_bucket=Bucket.AVAILABLE, from_location_id=spot.location_id,
                  to_bucket=Bucket.RESERVED, to_location_id=spot.location_id)
             for spot, part in plan.taken]
    if plan.backorder > 0:
        moves.append(Move(**base, quantity=plan.backorder, to_bucket=Bucket.BACKORDERED))
    if plan.served > 0:
        moves.append(Move(**base, quantity=plan.served, from_bucket=Bucket.BACKORDERED))
    return moves


async def apply_plans(
    session: AsyncSession, order: SalesOrder, plans: Sequence[LinePlan], actor: Principal,
    reason: str, locked: Locks | None = None,
) -> Posting | None:
    """Post the plans of ``order``'s lines in one posting (with ``locked``, the locks of
    ``lock_for_posting``), book them on the lines and their Reservation rows, and tell the
    salesperson when available fell below the safety stock."""
    moves = [move for plan in plans for move in _moves(order, plan)]
    if not moves:
        return None
    for plan in plans:  # a new line has no quantities until its INSERT applies the defaults
        line = plan.line
        line.reserved_quantity = (line.reserved_quantity or ZERO) + plan.reserved
        line.backordered_quantity = (line.backordered_quantity or ZERO) + plan.backorder \
            - plan.served
    saved = [plan.line.id for plan in plans if plan.line.id is not None]
    await session.flush()  # new lines are inserted holding their quantities, and get ids
    held = {(r.order_line_id, r.location_id, r.lot): r for r in await session.scalars(
        select(Reservation).where(Reservation.order_line_id.in_(saved)))} if saved else {}
    for plan in plans:
        line = plan.line
        for spot, part in plan.taken:
            row = held.get((line.id, spot.location_id, spot.lot))
            if row is None:
                row = held[(line.id, spot.location_id, spot.lot)] = Reservation(
                    order_line_id=line.id, product_id=line.product_id,
                    warehouse_id=order.warehouse_id, location_id=spot.location_id,
                    lot=spot.lot, quantity=ZERO)
                session.add(row)
            row.quantity += part
    await session.flush()
    posting = await post_moves(session, moves, PostingContext(
        DOCUMENT_TYPE, actor, order.number, reason=reason), locked)
    await _low_stock(session, order, plans, posting)
    for plan in plans:
        if plan.taken:
            await settle_putaways(session, order.warehouse_id, plan.line.product_id,
                                  [(spot.location_id, spot.lot, part)
                                   for spot, part in plan.taken])
    return posting


async def _low_stock(
    session: AsyncSession, order: SalesOrder, plans: Sequence[LinePlan], posting: Posting
) -> None:
    first_line: dict[int, SalesOrderLine] = {}
    for plan in plans:
        if plan.taken:
            first_line.setdefault(plan.line.product_id, plan.line)
    if not first_line:
        return
    products = await products_by_id(session, first_line)
    for change in posting.changes:
        delta = change.deltas.get(Bucket.AVAILABLE, ZERO)
        product = products.get(change.product_id)
        after = change.levels[Bucket.AVAILABLE]
        if product is None or delta >= 0 or not crossed_below(after - delta, after,
                                                             product.safety_stock):
            continue
        await sales_alert(
            session, order, await party_of(session, order), AlertKind.LOW_STOCK,
            line_no=first_line[product.id].line_no, sku=product.sku, quantity=after,
            message=f"{product.sku} available fell to {plain(after)}, below its safety stock "
                    f"of {plain(product.safety_stock)}, after reserving for {order.number}")


async def products_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Product]:
    """The products, from the session's identity map where this transaction loaded them
    already (an order just taken has), the rest in one query."""
    found: dict[int, Product] = {}
    for product_id in set(ids):
        product = session.identity_map.get(identity_key(Product, product_id))
        if isinstance(product, Product) and not inspect(product).expired_attributes:
            found[product_id] = product
    missing = set(ids) - set(found)
    if missing:
        found.update((p.id, p) for p in await session.scalars(
            select(Product).where(Product.id.in_(sorted(missing)))))
    return found


@dataclass
class StockPlan:
    """What new quantities of an order get: stock now, a backorder for the rest."""

    plans: list[LinePlan]
    shortages: list[Shortage]
    supply: dict[int, Expected]  # of the short products, looked up once for both uses

    async def apply(
        self, session: AsyncSession, order: SalesOrder, actor: Principal, why: str,
        locked: Locks | None = None,
    ) -> None:
        """Post it (with ``locked``, the locks of ``lock_for_posting``), then announce the
        backorders."""
        await apply_plans(session, order, self.plans, actor, f"reserved for {order.number}",
                          locked)
        await announce_backorders(session, order, [(p.line, p.backorder) for p in self.plans],
                                  actor, why, self.supply)


async def plan_new_stock(
    session: AsyncSession, order: SalesOrder,
    wanted: Sequence[tuple[int, SalesOrderLine, Decimal]], products: Mapping[int, Product],
) -> StockPlan:
    """Plan ``quantity`` more for each (input index, line, quantity) from what is available
    now (``lock_stock`` the products first). Under REJECT a line that cannot be had whole
    raises ``ShortageRefused``; under BACKORDER its rest is backordered."""
    pairs = {(line.product_id, order.warehouse_id) for _, line, _ in wanted}
    pool = await load_pool(session, pairs)
    requests = [LineRequest(index, line.line_no, products[line.product_id].sku,
                            (line.product_id, order.warehouse_id), quantity)
                for index, line, quantity in wanted]
    shortages = shortages_of(requests, {pair: pool.available(pair) for pair in pairs})
    product_of_sku = {p.sku: p.id for p in products.values()}
    supply = await expected_supply(session, order.warehouse_id,
                                   sorted({product_of_sku[s.sku] for s in shortages}))
    shortages = with_expected(shortages, supply, product_of_sku)
    if policy_refuses(ShortagePolicy(order.shortage_policy), shortages):
        raise ShortageRefused(shortages)
    plans = []
    for _, line, quantity in wanted:
        plan = LinePlan(line, pool.take((line.product_id, order.warehouse_id), quantity))
        plan.backorder = quantity - plan.reserved
        plans.append(plan)
    return StockPlan(plans, shortages, supply)


async def reserve_for_line(
    session: AsyncSession, line: SalesOrderLine, order: SalesOrder, quantity: Decimal,
    actor: Principal, exclude_bins: Collection[int] = (),
) -> Decimal:
    """Reserve up to ``quantity`` more for ``line`` from what is available now, outside
    ``exclude_bins`` (``lock_stock`` the product first); returns how much was reserved (posted,
    on the line and its Reservation rows). Nothing is backordered: see ``backorder_line`` for
    the rest."""
    pair = (line.product_id, order.warehouse_id)
    pool = await load_pool(session, [pair], exclude_bins)
    plan = LinePlan(line, pool.take(pair, quantity))
    await apply_plans(session, order, [plan], actor, f"reserved for {order.number}")
    return plan.reserved


async def backorder_line(
    session: AsyncSession, line: SalesOrderLine, order: SalesOrder, quantity: Decimal,
    actor: Principal, why: str,
) -> None:
    """Put ``quantity`` of ``line`` on backorder: posted, SHORTAGE alert, make-to-order
    requisition. ``why`` starts the alert's message ("short pick on PK-…")."""
    await apply_plans(session, order, [LinePlan(line, backorder=quantity)], actor,
                      f"backordered on {order.number}")
    await announce_backorders(session, order, [(line, quantity)], actor, why)


async def announce_backorders(
    session: AsyncSession, order: SalesOrder, shortfalls: Sequence[tuple[SalesOrderLine, Decimal]],
    actor: Principal, why: str, supply: Mapping[int, Expected] | None = None,
) -> None:
    """After backorders were posted: a SHORTAGE alert per line (with when more is expected,
    from ``supply`` when the caller has it already) and draft purchase orders for
    make-to-order products."""
    shortfalls = [(line, short) for line, short in shortfalls if short > 0]
    if not shortfalls:
        return
    product_ids = sorted({line.product_id for line, _ in shortfalls})
    products = await products_by_id(session, product_ids)
    if supply is None:
        supply = await expected_supply(session, order.warehouse_id, product_ids)
    party = await party_of(session, order)
    for line, short in shortfalls:
        expected = supply.get(line.product_id)
        sku = products[line.product_id].sku
        await sales_alert(
            session, order, party, AlertKind.SHORTAGE, line_no=line.line_no, sku=sku,
            quantity=short,
            message=f"{why}: line {line.line_no} {sku} {plain(short)} backordered; "
                    + expected_text(expected and expected.on, expected and expected.quantity))
    await raise_requisitions(session, order, shortfalls, products, actor)


async def _reservations(
    session: AsyncSession, line_ids: Sequence[int]
) -> tuple[dict[tuple[int, int, str], Reservation], dict[int, list[StockSpot]]]:
    """The Reservation rows of the lines by (line, bin, lot), and the stock they hold per line
    as spots to take from."""
    rows = await session.execute(
        select(Reservation, Location.code, StockLot.expiry, StockLot.first_received_at)
        .join(Location, Location.id == Reservation.location_id)
        .outerjoin(StockLot, (StockLot.product_id == Reservation.product_id)
                   & (StockLot.lot == Reservation.lot))
        .where(Reservation.order_line_id.in_(line_ids))
    )
    held: dict[tuple[int, int, str], Reservation] = {}
    spots: dict[int, list[StockSpot]] = defaultdict(list)
    for row, code, expiry, first_received_at in rows:
        held[(row.order_line_id, row.location_id, row.lot)] = row
        if row.quantity > 0:
            spots[row.order_line_id].append(StockSpot(
                row.location_id, code, row.lot, row.quantity, expiry,
                first_received_at if row.lot else None))
    return held, spots


async def release_lines(
    session: AsyncSession, order: SalesOrder, releases: Sequence[tuple[SalesOrderLine, Decimal]],
    actor: Principal, reason: str,
) -> None:
    """Give up to the given quantity of each line back: its backorder first, then its reserved
    stock (what would have been reserved last goes first), in one posting. Stock that becomes
    available is offered to waiting backorders by the allocator, in the same transaction."""
    releases = [(line, quantity) for line, quantity in releases if quantity > 0]
    line_ids = [line.id for line, _ in releases]
    held, spots = await _reservations(session, line_ids)
    moves: list[Move] = []
    for line, quantity in releases:
        from_backorder, from_reserved = release_split(
            line.backordered_quantity, line.reserved_quantity, quantity)
        base = {"product_id": line.product_id, "warehouse_id": order.warehouse_id,
                "document_line": line.line_no}
        if from_backorder > 0:
            moves.append(Move(**base, quantity=from_backorder, from_bucket=Bucket.BACKORDERED))
        for spot, part in take(spots.get(line.id, []), from_reserved, last_first=True):
            moves.append(Move(**base, quantity=part, lot=spot.lot,
                              from_bucket=Bucket.RESERVED, from_location_id=spot.location_id,
                              to_bucket=Bucket.AVAILABLE, to_location_id=spot.location_id))
            row = held[(line.id, spot.location_id, spot.lot)]
            row.quantity -= part
            if row.quantity <= 0:
                await session.delete(row)
        line.backordered_quantity -= from_backorder
        line.reserved_quantity -= from_reserved
    if not moves:
        return
    await session.flush()
    await post_moves(session, moves, PostingContext(DOCUMENT_TYPE, actor, order.number,
                                                    reason=reason))
