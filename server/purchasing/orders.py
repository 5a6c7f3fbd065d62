"""Purchase order use cases for our own staff: create, edit, submit for approval, cancel, and
the approval callback. Each runs in one transaction; every change bumps the order's version and
writes a ``purchase_order`` event; stock on order follows through the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.approvals import service as approvals
from server.approvals.models import ApprovalRequest
from server.auth import Principal, Role
from server.catalog.models import Product, Supplier, SupplierItem, Warehouse
from server.catalog.rules import code_problem, raise_problems
from server.db import Database, utcnow
from server.errors import DomainError, InvalidInput, InvalidState, NotFound, Problem
from server.inventory.moves import total_problem
from server.numbering import next_number
from server.purchasing import stock
from server.purchasing.events import order_event
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.purchasing.rules import (
    SAMPLE_FACTS,
    LineDraft,
    LineFacts,
    approval_facts,
    line_problems,
    order_total,
)
from server.purchasing.states import PoAction, PoState, check_allowed

ORDER_PREFIX = "PO"  # numbers read PO-YYYY-NNNNNN
DOCUMENT_TYPE = "PURCHASE_ORDER"
PURCHASERS = (Role.PURCHASER, Role.PURCHASE_MANAGER)


@dataclass(frozen=True, slots=True)
class OrderDraft:
    supplier_code: str
    warehouse_code: str
    lines: Sequence[LineDraft]
    currency: str = "CNY"
    notes: str = ""


@dataclass(frozen=True, slots=True)
class OrderChanges:
    """``lines`` replaces the order's lines; lines that keep their ``line_no`` keep their
    progress, and a line that has shipped may not shrink below what shipped or disappear."""

    number: str
    based_on_version: int | None = None
    lines: Sequence[LineDraft] | None = None
    line_numbers: Sequence[int | None] | None = None
    notes: str | None = None


async def load_order(
    session: AsyncSession, number: str, *, lock: bool = False, field: str = "number"
) -> PurchaseOrder:
    stmt = (select(PurchaseOrder).where(PurchaseOrder.number == number)
            .options(selectinload(PurchaseOrder.lines)))
    if lock:
        # Refresh rows read before the lock was granted: another transaction may have changed them.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    order = await session.scalar(stmt)
    if order is None:
        raise NotFound(f"no purchase order {number!r}", field=field)
    return order


def check_version(order: PurchaseOrder, based_on_version: int | None) -> None:
    if based_on_version is not None and based_on_version != order.version:
        raise DomainError(
            f"{order.number} changed since version {based_on_version}: it is now version "
            f"{order.version} ({order.state}); reload it", field="basedOnVersion",
            code="STALE_VERSION",
        )


async def create_purchase_order(
    db: Database, principal: Principal, draft: OrderDraft
) -> PurchaseOrder:
    principal.require(*PURCHASERS)
    today = utcnow().date()
    raise_problems(code_problem(draft.supplier_code, "supplierCode"),
                   code_problem(draft.warehouse_code, "warehouseCode"),
                   *line_problems(draft.lines, today))
    async with db.transaction() as session:
        supplier, warehouse = await _parties(session, draft.supplier_code, draft.warehouse_code)
        priced = await _priced_lines(session, supplier, draft.lines)
        order = PurchaseOrder(
            number=await next_number(session, ORDER_PREFIX, today), supplier_id=supplier.id,
            warehouse_id=warehouse.id, state=PoState.DRAFT.value, currency=draft.currency,
            notes=draft.notes, created_by_id=principal.user_id, order_date=today,
            lines=[_new_line(index + 1, line, product)
                   for index, (line, product) in enumerate(priced)],
        )
        order.total_amount = order_total(_facts_of(order, {p.id: p for _, p in priced}))
        raise_problems(total_problem(order.total_amount, "lines"))
        session.add(order)
        await session.flush()
        await order_event(session, order, "PO_CREATED", principal)
        return order


async def update_purchase_order(
    db: Database, principal: Principal, changes: OrderChanges
) -> PurchaseOrder:
    """Edit an order. After approval, an edit that raises the total beyond the approved amount
    sends the order back through approval (its stock on order is released meanwhile)."""
    principal.require(*PURCHASERS)
    async with db.transaction() as session:
        order = await load_order(session, changes.number, lock=True)
        check_version(order, changes.based_on_version)
        check_allowed(PoAction.EDIT, PoState(order.state), order.number)
        before = stock.on_order_snapshot(order)
        if changes.notes is not None:
            order.notes = changes.notes
        if changes.lines is not None:
            raise_problems(*line_problems(changes.lines, order.order_date))
            supplier = await session.get_one(Supplier, order.supplier_id)
            priced = await _priced_lines(session, supplier, changes.lines)
            _replace_lines(order, changes.lines, priced,
                           changes.line_numbers or [None] * len(priced))
            order.total_amount = order_total(_facts_of(order, {p.id: p for _, p in priced}))
            raise_problems(total_problem(order.total_amount, "lines"))
        order.version += 1
        reapproval = (order.approved_amount is not None
                      and order.total_amount > order.approved_amount
                      and PoState(order.state) not in (PoState.DRAFT, PoState.REJECTED))
        if reapproval:
            order.state = PoState.PENDING_APPROVAL.value
        await stock.post_on_order_changes(session, order, before, principal)
        await session.flush()
        await order_event(session, order, "PO_UPDATED", principal)
        if reapproval:
            await _request_approval(session, order, principal)
        return order


async def submit_purchase_order(
    db: Database, principal: Principal, number: str, based_on_version: int | None = None
) -> PurchaseOrder:
    principal.require(*PURCHASERS)
    async with db.transaction() as session:
        order = await load_order(session, number, lock=True)
        check_version(order, based_on_version)
        check_allowed(PoAction.SUBMIT, PoState(order.state), order.number)
        order.state = PoState.PENDING_APPROVAL.value
        order.submitted_at = utcnow()
        order.rejection_comment = None
        order.version += 1
        await order_event(session, order, "PO_SUBMITTED", principal)
        await _request_approval(session, order, principal)
        return order


async def cancel_purchase_order(
    db: Database, principal: Principal, number: str, reason: str,
    based_on_version: int | None = None,
) -> PurchaseOrder:
    """Cancel an order nothing has shipped on yet; what it had on order is released."""
    principal.require(*PURCHASERS)
    if not reason.strip():
        raise InvalidInput("give a reason for cancelling", field="reason")
    async with db.transaction() as session:
        order = await load_order(session, number, lock=True)
        check_version(order, based_on_version)
        check_allowed(PoAction.CANCEL, PoState(order.state), order.number)
        if any(line.shipped_quantity > 0 for line in order.lines):
            raise DomainError(f"{order.number} has goods shipped; close its lines instead",
                              field="number", code="ALREADY_SHIPPED")
        before = stock.on_order_snapshot(order)
        await approvals.withdraw(session, DOCUMENT_TYPE, order.id)
        order.state = PoState.CANCELLED.value
        order.cancelled_at = utcnow()
        order.notes = f"{order.notes}\ncancelled: {reason.strip()}".strip()
        order.version += 1
        await stock.post_on_order_changes(session, order, before, principal)
        await order_event(session, order, "PO_CANCELLED", principal, reason=reason.strip())
        return order


async def close_line_short(
    db: Database, principal: Principal, number: str, line_no: int, reason: str,
    based_on_version: int | None = None,
) -> PurchaseOrder:
    """Expect nothing more on a line: what it still had on order is released. When no open line
    is left, the order is closed."""
    principal.require(*PURCHASERS)
    if not reason.strip():
        raise InvalidInput("give a reason for closing the line short", field="reason")
    async with db.transaction() as session:
        order = await load_order(session, number, lock=True)
        check_version(order, based_on_version)
        check_allowed(PoAction.CLOSE, PoState(order.state), order.number)
        line = next((line for line in order.lines if line.line_no == line_no), None)
        if line is None:
            raise NotFound(f"{order.number} has no line {line_no}", field="lineNo")
        if line.closed:
            raise InvalidState(f"line {line_no} of {order.number} is already closed",
                               field="lineNo", code="LINE_CLOSED")
        before = stock.on_order_snapshot(order)
        line.closed = True
        if all(line.closed for line in order.lines):
            order.state = PoState.CLOSED.value
            order.closed_at = utcnow()
        order.version += 1
        await stock.post_on_order_changes(session, order, before, principal)
        await order_event(session, order, "PO_LINE_CLOSED", principal, line=line_no,
                          reason=reason.strip())
        return order


async def _request_approval(
    session: AsyncSession, order: PurchaseOrder, principal: Principal
) -> None:
    products = await _products_of(session, order)
    supplier = await session.get_one(Supplier, order.supplier_id)
    warehouse = await session.get_one(Warehouse, order.warehouse_id)
    facts = approval_facts(supplier.code, warehouse.code, order.currency,
                           _facts_of(order, products))
    request = await approvals.start(session, DOCUMENT_TYPE, order.id, order.number, facts,
                                    principal)
    if request.status == approvals.RequestStatus.APPROVED:
        await _approve(session, order, principal)


async def _on_decided(
    session: AsyncSession, request: ApprovalRequest, principal: Principal
) -> None:
    order = await session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.id == request.document_id)
        .options(selectinload(PurchaseOrder.lines)).with_for_update()
    )
    if order is None or PoState(order.state) is not PoState.PENDING_APPROVAL:
        return
    order.version += 1
    if request.status == approvals.RequestStatus.APPROVED:
        await _approve(session, order, principal)
    else:
        order.state = PoState.DRAFT.value
        order.rejection_comment = request.comment
        await order_event(session, order, "PO_REJECTED", principal, comment=request.comment)


async def _approve(session: AsyncSession, order: PurchaseOrder, principal: Principal) -> None:
    """Approved orders go to the supplier at once: stock goes on order, the portal shows it."""
    before = stock.on_order_snapshot(order)
    now = utcnow()
    order.state = PoState.APPROVED.value
    order.approved_at = now
    order.approved_amount = order.total_amount
    await stock.post_on_order_changes(session, order, before, principal)
    await order_event(session, order, "PO_APPROVED", principal)
    order.state = PoState.SENT.value
    order.sent_at = order.sent_at or now
    await order_event(session, order, "PO_SENT", principal)


async def _parties(
    session: AsyncSession, supplier_code: str, warehouse_code: str
) -> tuple[Supplier, Warehouse]:
    supplier = await session.scalar(select(Supplier).where(Supplier.code == supplier_code))
    warehouse = await session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
    problems = []
    if supplier is None or not supplier.active:
        problems.append(Problem("NOT_FOUND", f"no active supplier {supplier_code!r}",
                                "supplierCode"))
    if warehouse is None or not warehouse.active:
        problems.append(Problem("NOT_FOUND", f"no active warehouse {warehouse_code!r}",
                                "warehouseCode"))
    if problems:
        raise DomainError.of(problems)
    assert supplier is not None and warehouse is not None
    return supplier, warehouse


async def _priced_lines(
    session: AsyncSession, supplier: Supplier, lines: Sequence[LineDraft]
) -> list[tuple[LineDraft, Product]]:
    """Each line with its product and a price: the one given, else the supplier's item price."""
    skus = {line.sku for line in lines}
    found = await session.scalars(select(Product).where(Product.sku.in_(skus)))
    products = {product.sku: product for product in found}
    supplied = await session.scalars(
        select(SupplierItem).where(SupplierItem.supplier_id == supplier.id,
                                   SupplierItem.active.is_(True),
                                   SupplierItem.product_id.in_([p.id for p in products.values()]))
    )
    items = {item.product_id: item for item in supplied}
    problems, priced = [], []
    for index, line in enumerate(lines):
        product = products.get(line.sku)
        if product is None or not product.active:
            problems.append(Problem("NOT_FOUND", f"no active product {line.sku!r}",
                                    f"lines[{index}].sku"))
            continue
        price = line.unit_price
        if price is None:
            item = items.get(product.id)
            if item is None:
                problems.append(Problem(
                    "NOT_SUPPLIED",
                    f"{supplier.code} has no price for {line.sku}; give a unitPrice",
                    f"lines[{index}].unitPrice"))
                continue
            price = item.price
        priced.append((LineDraft(line.sku, line.quantity, price, line.requested_date), product))
    if problems:
        raise DomainError.of(problems)
    return priced


def _new_line(line_no: int, line: LineDraft, product: Product) -> PurchaseOrderLine:
    assert line.unit_price is not None
    return PurchaseOrderLine(line_no=line_no, product_id=product.id, quantity=line.quantity,
                             unit_price=line.unit_price, requested_date=line.requested_date)


def _replace_lines(
    order: PurchaseOrder, given: Sequence[LineDraft], priced: Sequence[tuple[LineDraft, Product]],
    line_numbers: Sequence[int | None],
) -> None:
    """Lines named by number are changed in place (keeping their progress, and their price
    unless a new one is given); unnamed lines are added; lines not named are removed."""
    existing = {line.line_no: line for line in order.lines}
    kept: list[PurchaseOrderLine] = []
    problems: list[Problem] = []
    next_no = max(existing, default=0) + 1
    for index, ((line, product), line_no, raw) in enumerate(
        zip(priced, line_numbers, given, strict=True)
    ):
        current = existing.pop(line_no, None) if line_no is not None else None
        if line_no is not None and current is None:
            problems.append(Problem("NOT_FOUND", f"{order.number} has no line {line_no}",
                                    f"lines[{index}].lineNo"))
            continue
        if current is None:
            kept.append(_new_line(next_no, line, product))
            next_no += 1
            continue
        if current.product_id != product.id and current.shipped_quantity > 0:
            problems.append(Problem("ALREADY_SHIPPED", f"line {line_no} has shipped; its product "
                                    "cannot change", f"lines[{index}].sku"))
        if line.quantity < current.shipped_quantity:
            problems.append(Problem("ALREADY_SHIPPED", f"line {line_no} has shipped "
                                    f"{current.shipped_quantity}; it cannot drop below that",
                                    f"lines[{index}].quantity"))
        if raw.unit_price is not None or current.product_id != product.id:
            current.unit_price = line.unit_price  # type: ignore[assignment]
        current.product_id = product.id
        current.quantity = line.quantity
        current.requested_date = line.requested_date
        kept.append(current)
    for line_no, dropped in existing.items():
        if dropped.shipped_quantity > 0:
            problems.append(Problem("ALREADY_SHIPPED", f"line {line_no} has shipped; it cannot be "
                                    "removed", "lines"))
    if problems:
        raise DomainError.of(problems)
    order.lines = kept


async def _products_of(session: AsyncSession, order: PurchaseOrder) -> dict[int, Product]:
    ids = {line.product_id for line in order.lines}
    return {p.id: p for p in await session.scalars(select(Product).where(Product.id.in_(ids)))}


def _facts_of(order: PurchaseOrder, products: dict[int, Product]) -> list[LineFacts]:
    return [LineFacts(products[line.product_id].sku, products[line.product_id].category,
                      line.quantity, line.unit_price) for line in order.lines]


approvals.register(approvals.DocumentKind(DOCUMENT_TYPE, SAMPLE_FACTS, _on_decided))
