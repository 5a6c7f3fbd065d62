"""Where the goods of a purchase return come from: which of the supplier's PO lines (what was
received and decided on them, less what other returns take) and which bins and lots (what lies
in the bucket, less what open returns hold). A request line is taken from both and the two
takings are paired up into return lines; every shortage is refused with its numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import Location, Product, Supplier, Warehouse
from server.catalog.rules import raise_problems
from server.errors import Problem
from server.inventory.models import Bucket, StockQuant
from server.inventory.moves import plain
from server.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
)
from server.purchasing.return_rules import (
    LineClaims,
    ReturnLineDraft,
    consume,
    in_order,
    pair_up,
    returnable,
    take,
    taken_total,
)
from server.purchasing.return_states import COUNTING_STATES, HOLDING_STATES, ReturnState

BinKey = tuple[int, int, str]  # location, product, lot
SourceKey = tuple[int, Bucket]  # PO line, bucket
# A return line to be: (request line index, PO line id, bin, quantity).
Piece = tuple[int, int, BinKey, Decimal]


@dataclass(frozen=True, slots=True)
class OrderLines:
    """The supplier's PO lines into the warehouse for the products returned, by id, with the
    number and currency of each line's order."""

    lines: dict[int, PurchaseOrderLine]
    numbers: dict[int, str]
    currencies: dict[int, str]


async def locked_order_lines(
    session: AsyncSession, supplier: Supplier, warehouse: Warehouse,
    lines: Sequence[ReturnLineDraft], products: dict[str, Product],
) -> OrderLines:
    """Their orders are locked in id order, as receipts and inspections lock them, so the
    accepted and rejected counts hold still while the return takes from them."""
    product_ids = [product.id for product in products.values()]
    stmt = select(PurchaseOrder).where(
        PurchaseOrder.supplier_id == supplier.id, PurchaseOrder.warehouse_id == warehouse.id,
        PurchaseOrder.id.in_(select(PurchaseOrderLine.order_id).where(
            PurchaseOrderLine.product_id.in_(product_ids))))
    named = {line.po_number for line in lines}
    if None not in named:  # every line names its order: lock only those
        stmt = stmt.where(PurchaseOrder.number.in_(named))
    orders = {order.id: order for order in await session.scalars(
        stmt.order_by(PurchaseOrder.id).with_for_update())}
    known = {order.number for order in orders.values()}
    raise_problems(*(
        Problem("NOT_FOUND", f"no purchase order {line.po_number!r} of {supplier.code} into "
                f"{warehouse.code} with {line.sku}", f"lines[{index}].poNumber")
        for index, line in enumerate(lines)
        if line.po_number is not None and line.po_number not in known))
    found = list(await session.scalars(
        select(PurchaseOrderLine).where(PurchaseOrderLine.order_id.in_(list(orders)),
                                        PurchaseOrderLine.product_id.in_(product_ids))
        .execution_options(populate_existing=True)))
    return OrderLines({line.id: line for line in found},
                       {line.id: orders[line.order_id].number for line in found},
                       {line.id: orders[line.order_id].currency for line in found})


async def _claims(session: AsyncSession, line_ids: Sequence[int]) -> dict[int, LineClaims]:
    rows = await session.execute(
        select(PurchaseReturnLine.order_line_id, PurchaseReturnLine.from_bucket,
               PurchaseReturn.state, func.sum(PurchaseReturnLine.quantity))
        .join(PurchaseReturn, PurchaseReturn.id == PurchaseReturnLine.return_id)
        .where(PurchaseReturnLine.order_line_id.in_(line_ids),
               PurchaseReturn.state.in_([s.value for s in COUNTING_STATES]))
        .group_by(PurchaseReturnLine.order_line_id, PurchaseReturnLine.from_bucket,
                  PurchaseReturn.state))
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line_id, bucket, state, quantity in rows:
        held = ReturnState(state) in HOLDING_STATES
        sums[line_id][f"{'held' if held else 'shipped'}_{bucket}"] += Decimal(quantity)
    return {line_id: LineClaims(**figures) for line_id, figures in sums.items()}


async def _held_in_bins(session: AsyncSession, warehouse: Warehouse) -> dict[BinKey, Decimal]:
    """What open returns hold per bin, product and lot: all of it waits in the rejected bucket."""
    rows = await session.execute(
        select(PurchaseReturnLine.location_id, PurchaseReturnLine.product_id,
               PurchaseReturnLine.lot, func.sum(PurchaseReturnLine.quantity))
        .join(PurchaseReturn, PurchaseReturn.id == PurchaseReturnLine.return_id)
        .where(PurchaseReturn.warehouse_id == warehouse.id,
               PurchaseReturn.state.in_([s.value for s in HOLDING_STATES]))
        .group_by(PurchaseReturnLine.location_id, PurchaseReturnLine.product_id,
                  PurchaseReturnLine.lot))
    return {(location, product, lot): Decimal(quantity)
            for location, product, lot, quantity in rows}


@dataclass(frozen=True, slots=True)
class _Bins:
    """Per bucket, what each bin can give (held goods taken off) and the bins' codes."""

    remaining: dict[Bucket, dict[BinKey, Decimal]]
    codes: dict[int, str]


async def _bins(
    session: AsyncSession, warehouse: Warehouse, product_ids: Sequence[int]
) -> _Bins:
    held = await _held_in_bins(session, warehouse)
    rows = await session.execute(
        select(StockQuant.location_id, StockQuant.product_id, StockQuant.lot, StockQuant.bucket,
               StockQuant.quantity, Location.code)
        .join(Location, Location.id == StockQuant.location_id)
        .where(StockQuant.warehouse_id == warehouse.id, StockQuant.product_id.in_(product_ids),
               StockQuant.bucket.in_([Bucket.AVAILABLE.value, Bucket.REJECTED.value]),
               StockQuant.quantity > 0)
        .order_by(Location.code))
    remaining: dict[Bucket, dict[BinKey, Decimal]] = {Bucket.AVAILABLE: {}, Bucket.REJECTED: {}}
    codes: dict[int, str] = {}
    for location, product, lot, bucket, quantity, code in rows:
        key = (location, product, lot)
        codes[location] = code
        free = quantity - (held.get(key, Decimal(0)) if bucket == Bucket.REJECTED.value else 0)
        remaining[Bucket(bucket)][key] = max(free, Decimal(0))
    return _Bins(remaining, codes)


async def allocate(
    session: AsyncSession, warehouse: Warehouse, lines: Sequence[ReturnLineDraft],
    products: dict[str, Product], found: OrderLines,
) -> list[Piece]:
    """Each input line taken from PO lines (newest order first) and from bins (by code), as
    (input index, PO line id, bin, quantity) pieces; every shortage is refused with its numbers."""
    order_lines, numbers = found.lines, found.numbers
    claims = await _claims(session, list(order_lines))
    from_lines: dict[SourceKey, Decimal] = {
        (line_id, bucket): returnable(bucket, line.accepted_quantity, line.rejected_quantity,
                                      claims.get(line_id, LineClaims()))
        for line_id, line in order_lines.items() for bucket in (Bucket.AVAILABLE, Bucket.REJECTED)}
    bins = await _bins(session, warehouse, [p.id for p in products.values()])
    newest_first = sorted(order_lines, key=lambda i: (-order_lines[i].order_id,
                                                      order_lines[i].line_no))
    pieces: list[Piece] = []
    problems: list[Problem] = []
    for index, line in enumerate(lines):
        product, bucket, lot = products[line.sku], line.from_bucket, line.lot.strip()
        sources = [(line_id, bucket) for line_id in newest_first
                   if order_lines[line_id].product_id == product.id
                   and line.po_number in (None, numbers[line_id])]
        by_line = take(line.quantity, in_order(from_lines, sources))
        if taken_total(by_line) < line.quantity:
            problems.append(_over_return(index, line, sources, from_lines, order_lines, numbers))
        remaining = bins.remaining[bucket]
        bin_keys = [key for key in remaining if key[1] == product.id and key[2] == lot]
        by_bin = take(line.quantity, in_order(remaining, bin_keys))
        if taken_total(by_bin) < line.quantity:
            problems.append(_short_in_bins(index, line, warehouse, bin_keys, remaining,
                                           bins.codes))
        if taken_total(by_line) == taken_total(by_bin) == line.quantity:
            consume(from_lines, by_line)
            consume(remaining, by_bin)
            pieces.extend((index, source[0], bin_key, quantity) for source, bin_key, quantity
                          in pair_up(by_line, by_bin))
    raise_problems(*problems)
    return pieces


def _over_return(
    index: int, line: ReturnLineDraft, sources: Sequence[SourceKey],
    can_give: dict[SourceKey, Decimal], order_lines: dict[int, PurchaseOrderLine],
    numbers: dict[int, str],
) -> Problem:
    detail = "; ".join(
        f"{numbers[line_id]} line {order_lines[line_id].line_no}: accepted "
        f"{plain(order_lines[line_id].accepted_quantity)}, rejected "
        f"{plain(order_lines[line_id].rejected_quantity)}, can still return "
        f"{plain(can_give[(line_id, bucket)])}" for line_id, bucket in sources) or "none received"
    total = sum((can_give[source] for source in sources), Decimal(0))
    where = f"on {line.po_number}" if line.po_number else "from this supplier"
    return Problem(
        "OVER_RETURN",
        f"returning {plain(line.quantity)} {line.sku} from {line.from_bucket.value} but only "
        f"{plain(total)} received {where} can go back ({detail})", f"lines[{index}].quantity")


def _short_in_bins(
    index: int, line: ReturnLineDraft, warehouse: Warehouse, keys: Sequence[BinKey],
    remaining: dict[BinKey, Decimal], codes: dict[int, str],
) -> Problem:
    total = sum((remaining[key] for key in keys), Decimal(0))
    detail = ", ".join(f"{codes[key[0]]} {plain(remaining[key])}" for key in keys) or "no bin"
    lot = f" lot {line.lot.strip()}" if line.lot.strip() else " without a lot"
    return Problem(
        "INSUFFICIENT_STOCK",
        f"returning {plain(line.quantity)} {line.sku}{lot} from {line.from_bucket.value} but "
        f"only {plain(total)} lie there in {warehouse.code} not held already ({detail})",
        f"lines[{index}].quantity")
