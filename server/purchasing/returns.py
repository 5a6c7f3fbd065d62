"""Purchase return use cases for our own staff: create (the goods are held at once), cancel, and
the approval callback. Each runs in one transaction and writes a ``purchase_return`` event.
Shipping the return, which also credits the supplier, lives in ``server.finance.returns``:
finance may build on purchasing, not the other way round."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.approvals import service as approvals
from server.approvals.models import ApprovalRequest
from server.auth import Principal, Role
from server.catalog.models import Product, Supplier, Warehouse
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import DomainError, InvalidInput, NotFound, Problem
from server.inventory import balances
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.numbering import next_number
from server.purchasing.models import (
    PurchaseReturn,
    PurchaseReturnLine,
)
from server.purchasing.return_allocation import OrderLines, allocate, locked_order_lines
from server.purchasing.return_events import return_event
from server.purchasing.return_rules import (
    SAMPLE_FACTS,
    ReturnDraft,
    ReturnLineDraft,
    approval_facts,
    draft_problems,
)
from server.purchasing.return_states import (
    ReturnAction,
    ReturnState,
    check_allowed,
)

RETURN_PREFIX = "PR"  # numbers read PR-YYYY-NNNNNN
DOCUMENT_TYPE = "PURCHASE_RETURN"
STOCK_DOCUMENT_TYPE = "PR"
RETURNERS = (Role.PURCHASER, Role.PURCHASE_MANAGER)
CENT = Decimal("0.01")



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
        order_lines = await locked_order_lines(
            session, supplier, warehouse, draft.lines, products)
        pairs = sorted({(product.id, warehouse.id) for product in products.values()})
        await balances.lock_costs(session, pairs)  # concurrent returns take turns on the stock
        pieces = await allocate(session, warehouse, draft.lines, products, order_lines)
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


def _currency(order_lines: OrderLines, used: Sequence[int]) -> str:
    """The return is credited in its orders' currency, so one return takes one currency."""
    currencies = sorted({order_lines.currencies[line_id] for line_id in used})
    if len(currencies) > 1:
        raise DomainError(f"the goods were bought in {', '.join(currencies)}: make one return "
                          "per currency", field="lines", code="CURRENCY_MISMATCH")
    return currencies[0]


approvals.register(approvals.DocumentKind(DOCUMENT_TYPE, SAMPLE_FACTS, _on_decided))
