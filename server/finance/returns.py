"""Shipping a purchase return and crediting the supplier, in one transaction: the held goods
leave the warehouse at their moving-average cost, the PO lines' counts follow, and a debit note
lowers what the supplier's invoices claim. It lives in finance because finance may build on
purchasing (the return) while purchasing must not reach into finance (the credit)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.auth import Principal, Role
from server.catalog.rules import raise_problems
from server.catalog.suppliers import supplier_by_code
from server.db import Database, utcnow
from server.errors import NotFound
from server.finance.credit_rules import credit_to_apply
from server.finance.match_rules import ZERO, money
from server.finance.models import DebitNote, DebitNoteLine, SupplierInvoice, SupplierInvoiceLine
from server.finance.payables import PAYABLE_STATES
from server.idempotency import key_problem, run_once
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.numbering import next_number
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchaseReturn
from server.purchasing.return_events import return_event
from server.purchasing.return_states import ReturnAction, ReturnState, check_allowed
from server.purchasing.returns import STOCK_DOCUMENT_TYPE, load_return

SHIPPERS = (Role.WAREHOUSE,)
ACCOUNT_READERS = (Role.FINANCE_DIRECTOR, Role.PURCHASE_MANAGER, Role.SUPPLIER)
NOTE_PREFIX = "DN"  # numbers read DN-YYYY-NNNNNN
OPERATION = "shipPurchaseReturn"


@dataclass(frozen=True, slots=True)
class ShippedReturn:
    purchase_return: PurchaseReturn  # with its lines
    debit_note: DebitNote  # with its lines


async def ship_purchase_return(
    db: Database, principal: Principal, number: str, idempotency_key: str
) -> ShippedReturn:
    """Ship an approved return; the same key again returns the first result and ships nothing."""
    principal.require(*SHIPPERS)
    raise_problems(key_problem(idempotency_key))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        await _ship(session, principal, number)
        return {"number": number}

    await run_once(db, principal, OPERATION, idempotency_key, perform)
    async with db.reader() as session:
        shipped = await load_return(session, number)
        note = await debit_note_of(session, shipped.id)
        assert note is not None  # a shipped return always has its debit note
        return ShippedReturn(shipped, note)


async def _ship(session: AsyncSession, principal: Principal, number: str) -> None:
    found = await load_return(session, number, lock=True)
    check_allowed(ReturnAction.SHIP, ReturnState(found.state), found.number)
    order_lines = await _locked_order_lines(session, found)
    note_number = await next_number(session, NOTE_PREFIX, utcnow().date())
    posting = await post_moves(session, [
        Move(product_id=line.product_id, warehouse_id=found.warehouse_id, quantity=line.quantity,
             lot=line.lot, from_bucket=Bucket.REJECTED, from_location_id=line.location_id,
             document_line=line.line_no)
        for line in found.lines], PostingContext(
            STOCK_DOCUMENT_TYPE, principal, found.number, reason="returned to supplier"))
    for line, entry in zip(found.lines, posting.entries, strict=True):
        line.unit_cost = entry.unit_cost
        if line.from_bucket == Bucket.AVAILABLE.value:  # accepted goods found wanting later
            order_line = order_lines[line.order_line_id]
            order_line.accepted_quantity -= line.quantity
            order_line.rejected_quantity += line.quantity
    found.state = ReturnState.SHIPPED.value
    found.shipped_at = utcnow()
    found.version += 1
    note = await _debit_note(session, found, order_lines, note_number, principal)
    await return_event(session, found, "PR_SHIPPED", principal, debitNote=note.number,
                       creditAmount=str(note.amount), appliedAmount=str(note.applied_amount))


async def _locked_order_lines(
    session: AsyncSession, found: PurchaseReturn
) -> dict[int, PurchaseOrderLine]:
    """The PO lines returned from, their orders locked in id order as receipts lock them."""
    line_ids = {line.order_line_id for line in found.lines}
    await session.execute(
        select(PurchaseOrder.id).where(PurchaseOrder.id.in_(
            select(PurchaseOrderLine.order_id).where(PurchaseOrderLine.id.in_(line_ids))))
        .order_by(PurchaseOrder.id).with_for_update())
    lines = await session.scalars(
        select(PurchaseOrderLine).where(PurchaseOrderLine.id.in_(line_ids))
        .execution_options(populate_existing=True))
    return {line.id: line for line in lines}


async def _debit_note(
    session: AsyncSession, found: PurchaseReturn, order_lines: dict[int, PurchaseOrderLine],
    number: str, principal: Principal,
) -> DebitNote:
    line_ids = list(order_lines)
    billed, last_invoice = await _billed(session, line_ids)
    applied = await _already_applied(session, line_ids)
    note = DebitNote(number=number, supplier_id=found.supplier_id, return_id=found.id,
                     currency=found.currency, amount=ZERO, applied_amount=ZERO,
                     created_by_id=principal.user_id)
    for line_no, line in enumerate(found.lines, start=1):
        order_line = order_lines[line.order_line_id]
        quantity = credit_to_apply(line.quantity, billed[order_line.id],
                                   order_line.accepted_quantity, applied[order_line.id])
        applied[order_line.id] += quantity  # a later line of this note on the same PO line
        note.lines.append(DebitNoteLine(
            line_no=line_no, return_line_id=line.id, order_line_id=order_line.id,
            supplier_invoice_id=last_invoice.get(order_line.id) if quantity else None,
            quantity=line.quantity, unit_price=line.unit_price,
            amount=money(line.quantity * line.unit_price), applied_quantity=quantity,
            applied_amount=money(quantity * line.unit_price)))
    note.amount = sum((line.amount for line in note.lines), ZERO)
    note.applied_amount = sum((line.applied_amount for line in note.lines), ZERO)
    session.add(note)
    await session.flush()
    return note


async def _billed(
    session: AsyncSession, line_ids: Sequence[int]
) -> tuple[defaultdict[int, Decimal], dict[int, int]]:
    """What invoices that may be paid billed on each PO line, and the latest of them."""
    rows = await session.execute(
        select(SupplierInvoiceLine.order_line_id, func.sum(SupplierInvoiceLine.quantity),
               func.max(SupplierInvoice.id))
        .join(SupplierInvoice, SupplierInvoice.id == SupplierInvoiceLine.invoice_id)
        .where(SupplierInvoiceLine.order_line_id.in_(line_ids),
               SupplierInvoice.state.in_(PAYABLE_STATES))
        .group_by(SupplierInvoiceLine.order_line_id))
    billed: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    latest: dict[int, int] = {}
    for line_id, quantity, invoice_id in rows:
        billed[line_id] = Decimal(quantity)
        latest[line_id] = invoice_id
    return billed, latest


async def _already_applied(
    session: AsyncSession, line_ids: Sequence[int]
) -> defaultdict[int, Decimal]:
    rows = await session.execute(
        select(DebitNoteLine.order_line_id, func.sum(DebitNoteLine.applied_quantity))
        .where(DebitNoteLine.order_line_id.in_(line_ids))
        .group_by(DebitNoteLine.order_line_id))
    applied: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for line_id, quantity in rows:
        applied[line_id] = Decimal(quantity)
    return applied


async def debit_note_of(session: AsyncSession, return_id: int) -> DebitNote | None:
    return await session.scalar(
        select(DebitNote).where(DebitNote.return_id == return_id)
        .options(selectinload(DebitNote.lines)))


async def debit_notes_by_return_ids(
    session: AsyncSession, return_ids: Sequence[int]
) -> list[DebitNote | None]:
    notes = {note.return_id: note for note in await session.scalars(
        select(DebitNote).where(DebitNote.return_id.in_(return_ids))
        .options(selectinload(DebitNote.lines)))}
    return [notes.get(return_id) for return_id in return_ids]


@dataclass(frozen=True, slots=True)
class SupplierAccount:
    """Where we stand with a supplier: ``invoiced`` is the total of its invoices that may be
    paid, ``credited`` what debit notes set against them, ``owed`` the difference;
    ``open_credit`` is debit note value with no invoice to set against yet."""

    supplier_code: str
    invoiced: Decimal
    credited: Decimal
    owed: Decimal
    open_credit: Decimal


async def supplier_account(
    session: AsyncSession, principal: Principal, supplier_code: str
) -> SupplierAccount:
    """A supplier user sees only its own account."""
    principal.require(*ACCOUNT_READERS)
    supplier = await supplier_by_code(session, supplier_code, "supplierCode")
    if principal.is_supplier and principal.supplier_id != supplier.id:
        raise NotFound(f"no supplier {supplier_code!r}", field="supplierCode")
    invoiced = await session.scalar(
        select(func.coalesce(func.sum(SupplierInvoice.total), 0))
        .where(SupplierInvoice.supplier_id == supplier.id,
               SupplierInvoice.state.in_(PAYABLE_STATES)))
    amount, applied = (await session.execute(
        select(func.coalesce(func.sum(DebitNote.amount), 0),
               func.coalesce(func.sum(DebitNote.applied_amount), 0))
        .where(DebitNote.supplier_id == supplier.id))).one()
    invoiced, credited = money(Decimal(invoiced)), money(Decimal(applied))
    return SupplierAccount(supplier.code, invoiced, credited, invoiced - credited,
                           money(Decimal(amount)) - credited)
