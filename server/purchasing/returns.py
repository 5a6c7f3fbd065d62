"""Purchase return use cases for our own staff: create (the goods are held at once), cancel, and
the approval callback. Each runs in one transaction and writes a ``purchase_return`` event.
Shipping the return, which also credits the supplier, lives in ``server.finance.returns``:
finance may build on purchasing, not the other way round."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.approvals import service as approvals
from server.approvals.models import ApprovalRequest
from server.auth import Principal, Role
from server.catalog.models import Location, Product, Supplier, Warehouse
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import DomainError, InvalidInput, NotFound, Problem
from server.inventory import balances
from server.inventory.models import Bucket, StockQuant
from server.inventory.moves import Move, PostingContext, plain
from server.inventory.posting import post_moves
from server.numbering import next_number
from server.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
)
from server.purchasing.return_events import return_event
from server.purchasing.return_rules import (
    SAMPLE_FACTS,
    LineClaims,
    ReturnDraft,
    ReturnLineDraft,
    approval_facts,
    consume,
    draft_problems,
    in_order,
    pair_up,
    returnable,
    take,
    taken_total,
)
from server.purchasing.return_states import (
    COUNTING_STATES,
    HOLDING_STATES,
    ReturnAction,
    ReturnState,
    check_allowed,
)

RETURN_PREFIX = "PR"  # numbers read PR-YYYY-NNNNNN
DOCUMENT_TYPE = "PURCHASE_RETURN"
STOCK_DOCUMENT_TYPE = "PR"
RETURNERS = (Role.PURCHASER, Role.PURCHASE_MANAGER)
CENT = Decimal("0.01")

BinKey = tuple[int, int, str]  # location, product, lot
SourceKey = tuple[int, Bucket]  # PO line, bucket


async def load_return(
    session: AsyncSession, number: str, *, lock: bool = False
) -> PurchaseReturn:
    stmt = (select(PurchaseReturn).where(PurchaseReturn.number == number)
            .options(selectinload(PurchaseReturn.lines)))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = await session.scalar(stmt)
    if found is None:
        raise NotFound(f"no purchase return {number!r}", field="number")
    return found


async def create_purchase_return(
    db: Database, principal: Principal, draft: ReturnDraft
) -> PurchaseReturn:
    """Hold the goods for a return to the supplier and send the return into approval; with no
    approval step applying it is approved at once. Refused, with the numbers, when a line asks
    for more than was received from the supplier (on the named PO) or than lies in the bucket."""
    principal.require(*RETURNERS)
    raise_problems(*draft_problems(draft))
    today = utcnow().date()
    async with db.transaction() as session:
        supplier, warehouse = await _parties(session, draft.supplier_code, draft.warehouse_code)
        products = await _products(session, draft.lines)
        order_lines = await _locked_order_lines(
            session, supplier, warehouse, draft.lines, products)
        pairs = sorted({(product.id, warehouse.id) for product in products.values()})
        await balances.lock_costs(session, pairs)  # concurrent returns take turns on the stock
        pieces = await _allocate(session, warehouse, draft.lines, products, order_lines)
        number = await next_number(session, RETURN_PREFIX, today)
        created = PurchaseReturn(
            number=number, supplier_id=supplier.id, warehouse_id=warehouse.id,
            state=ReturnState.PENDING_APPROVAL.value, created_by_id=principal.user_id,
            currency=_currency(order_lines, [line_id for _, line_id, _, _ in pieces]),
            lines=[PurchaseReturnLine(
                line_no=line_no, request_index=index, order_line_id=line_id,
                product_id=order_lines.lines[line_id].product_id, location_id=bin_key[0],
                lot=bin_key[2], from_bucket=draft.lines[index].from_bucket.value,
                quantity=quantity, unit_price=order_lines.lines[line_id].unit_price,
                reason=draft.lines[index].reason.strip())
                for line_no, (index, line_id, bin_key, quantity) in enumerate(pieces, start=1)],
        )
        created.total_amount = sum(
            ((line.quantity * line.unit_price).quantize(CENT, ROUND_HALF_UP)
             for line in created.lines), Decimal(0))
        session.add(created)
        await session.flush()
        await _move_held(session, created, principal, release=False)
        await return_event(session, created, "PR_CREATED", principal)
        request = await approvals.start(
            session, DOCUMENT_TYPE, created.id, created.number,
            approval_facts(supplier.code, created.total_amount, len(draft.lines)), principal)
        if request.status == approvals.RequestStatus.APPROVED:
            await _approve(session, created, principal)
        return created


async def cancel_purchase_return(
    db: Database, principal: Principal, number: str, reason: str
) -> PurchaseReturn:
    """Cancel a return not yet shipped: its pending approval is withdrawn, the goods it took from
    available stock are available again."""
    principal.require(*RETURNERS)
    if not reason.strip():
        raise InvalidInput("give a reason for cancelling", field="reason")
    async with db.transaction() as session:
        found = await load_return(session, number, lock=True)
        check_allowed(ReturnAction.CANCEL, ReturnState(found.state), found.number)
        await approvals.withdraw(session, DOCUMENT_TYPE, found.id)
        await _move_held(session, found, principal, release=True)
        found.state = ReturnState.CANCELLED.value
        found.closed_comment = reason.strip()
        found.version += 1
        await return_event(session, found, "PR_CANCELLED", principal, reason=reason.strip())
        return found


async def _on_decided(
    session: AsyncSession, request: ApprovalRequest, principal: Principal
) -> None:
    found = await session.scalar(
        select(PurchaseReturn).where(PurchaseReturn.id == request.document_id)
        .options(selectinload(PurchaseReturn.lines))
        .with_for_update().execution_options(populate_existing=True))
    if found is None or ReturnState(found.state) is not ReturnState.PENDING_APPROVAL:
        return
    if request.status == approvals.RequestStatus.APPROVED:
        await _approve(session, found, principal)
        return
    await _move_held(session, found, principal, release=True)
    found.state = ReturnState.REJECTED.value
    found.closed_comment = request.comment
    found.version += 1
    await return_event(session, found, "PR_REJECTED", principal, comment=request.comment)


async def _approve(session: AsyncSession, found: PurchaseReturn, principal: Principal) -> None:
    found.state = ReturnState.APPROVED.value
    found.approved_at = utcnow()
    found.version += 1
    await return_event(session, found, "PR_APPROVED", principal)


async def _move_held(
    session: AsyncSession, found: PurchaseReturn, principal: Principal, *, release: bool
) -> None:
    """Goods taken from available stock wait in the rejected bucket of their bin, so nobody can
    sell them while the return is open; releasing puts them back."""
    moves = [Move(product_id=line.product_id, warehouse_id=found.warehouse_id,
                  quantity=line.quantity, lot=line.lot, document_line=line.line_no,
                  from_bucket=Bucket.REJECTED if release else Bucket.AVAILABLE,
                  to_bucket=Bucket.AVAILABLE if release else Bucket.REJECTED,
                  from_location_id=line.location_id, to_location_id=line.location_id)
             for line in found.lines if line.from_bucket == Bucket.AVAILABLE.value]
    if moves:
        await post_moves(session, moves, PostingContext(
            STOCK_DOCUMENT_TYPE, principal, found.number,
            reason="released from return" if release else "held for return"))


async def _parties(
    session: AsyncSession, supplier_code: str, warehouse_code: str
) -> tuple[Supplier, Warehouse]:
    supplier = await session.scalar(select(Supplier).where(Supplier.code == supplier_code))
    warehouse = await session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
    problems = []
    if supplier is None:
        problems.append(Problem("NOT_FOUND", f"no supplier {supplier_code!r}", "supplierCode"))
    if warehouse is None:
        problems.append(Problem("NOT_FOUND", f"no warehouse {warehouse_code!r}",
                                "warehouseCode"))
    if problems:
        raise DomainError.of(problems)
    assert supplier is not None and warehouse is not None
    return supplier, warehouse


async def _products(
    session: AsyncSession, lines: Sequence[ReturnLineDraft]
) -> dict[str, Product]:
    found = {product.sku: product for product in await session.scalars(
        select(Product).where(Product.sku.in_({line.sku for line in lines})))}
    raise_problems(*(Problem("NOT_FOUND", f"no product {line.sku!r}", f"lines[{index}].sku")
                     for index, line in enumerate(lines) if line.sku not in found))
    return found


@dataclass(frozen=True, slots=True)
class _OrderLines:
    """The supplier's PO lines into the warehouse for the products returned, by id, with the
    number and currency of each line's order."""

    lines: dict[int, PurchaseOrderLine]
    numbers: dict[int, str]
    currencies: dict[int, str]


async def _locked_order_lines(
    session: AsyncSession, supplier: Supplier, warehouse: Warehouse,
    lines: Sequence[ReturnLineDraft], products: dict[str, Product],
) -> _OrderLines:
    """Their orders are locked in id order, as receipts and inspections lock them, so the
    accepted and rejected counts hold still while the return takes from them."""
    product_ids = [product.id for product in products.values()]
    orders = {order.id: order for order in await session.scalars(
        select(PurchaseOrder).where(
            PurchaseOrder.supplier_id == supplier.id, PurchaseOrder.warehouse_id == warehouse.id,
            PurchaseOrder.id.in_(select(PurchaseOrderLine.order_id).where(
                PurchaseOrderLine.product_id.in_(product_ids))))
        .order_by(PurchaseOrder.id).with_for_update())}
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
    return _OrderLines({line.id: line for line in found},
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


async def _allocate(
    session: AsyncSession, warehouse: Warehouse, lines: Sequence[ReturnLineDraft],
    products: dict[str, Product], found: _OrderLines,
) -> list[tuple[int, int, BinKey, Decimal]]:
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
    pieces: list[tuple[int, int, BinKey, Decimal]] = []
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


def _currency(order_lines: _OrderLines, used: Sequence[int]) -> str:
    """The return is credited in its orders' currency, so one return takes one currency."""
    currencies = sorted({order_lines.currencies[line_id] for line_id in used})
    if len(currencies) > 1:
        raise DomainError(f"the goods were bought in {', '.join(currencies)}: make one return "
                          "per currency", field="lines", code="CURRENCY_MISMATCH")
    return currencies[0]


approvals.register(approvals.DocumentKind(DOCUMENT_TYPE, SAMPLE_FACTS, _on_decided))
