"""View models of the inbound documents: the purchase order with its approval trail, the label of
a supplier's shipping notice (ASN number and pallet SSCCs as barcodes), the goods receipt with its
QC results."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.auth import Principal
from server.catalog.models import Product, Supplier, Warehouse
from server.documents.models import DocumentKind
from server.documents.views_common import (
    ZERO,
    View,
    day_text,
    display_name_of,
    display_names,
    money_text,
    product_columns,
    products_by_id,
    quantity_text,
    time_text,
    view_of,
    warehouse_party,
)
from server.errors import NotFound
from server.purchasing import queries as purchasing
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, ShipmentNotice
from server.receiving import queries as receiving
from server.receiving.models import Inspection


def _supplier_party(supplier: Supplier) -> dict[str, str]:
    return {"code": supplier.code, "name": supplier.name, "contact": supplier.contact_name,
            "phone": supplier.contact_phone, "email": supplier.contact_email}


async def purchase_order_view(
    session: AsyncSession, principal: Principal, number: str, language: str
) -> View:
    """The order, its lines priced, and who approved it when (not shown to the supplier, as in
    GraphQL's approvalTrail)."""
    order = await purchasing.purchase_order(session, principal, number)
    if order is None:
        raise NotFound(f"no purchase order {number!r}", field="number")
    products = await products_by_id(session, (line.product_id for line in order.lines))
    lines = [{
        "no": line.line_no, **product_columns(products[line.product_id], language),
        "quantity": quantity_text(line.quantity), "unit_price": money_text(line.unit_price),
        "amount": money_text(line.amount), "requested_date": day_text(line.requested_date),
        "confirmed_date": day_text(line.confirmed_date),
    } for line in order.lines]
    approvals: list[dict[str, str]] = []
    if not principal.is_supplier:
        [trail] = await purchasing.approval_trails_by_order_ids(session, [order.id])
        approvers = await display_names(session, (task.approver_id for task in trail))
        approvals = [{"step": task.step_name, "approver": approvers[task.approver_id],
                      "decision": task.status, "at": time_text(task.decided_at),
                      "comment": task.comment or ""} for task in trail]
    total = money_text(order.total_amount)
    return view_of(
        DocumentKind.PURCHASE_ORDER, language,
        {"number": order.number, "date": day_text(order.order_date), "status": order.state,
         "notes": order.notes},
        {"supplier": _supplier_party(await session.get_one(Supplier, order.supplier_id)),
         "warehouse": warehouse_party(await session.get_one(Warehouse, order.warehouse_id))},
        lines,
        {"quantity": quantity_text(sum((line.quantity for line in order.lines), start=ZERO)),
         "amount": total, "tax": "", "total": total},
        {"currency": order.currency, "approvals": approvals},
    )


async def _visible_notice(
    session: AsyncSession, principal: Principal, number: str
) -> ShipmentNotice:
    if not principal.is_supplier:
        principal.require_internal()
    notice = await session.scalar(select(ShipmentNotice).where(ShipmentNotice.number == number)
                                  .options(selectinload(ShipmentNotice.lines)))
    if notice is None or (principal.is_supplier and notice.supplier_id != principal.supplier_id):
        raise NotFound(f"no shipping notice {number!r}", field="number")
    return notice


async def asn_label_view(
    session: AsyncSession, principal: Principal, number: str, language: str
) -> View:
    """What the dock scans: the ASN number, and per line the pallet's SSCC where it has one."""
    notice = await _visible_notice(session, principal, number)
    order = await session.get_one(PurchaseOrder, notice.order_id)
    order_lines = {line.id: line for line in await session.scalars(
        select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == order.id))}
    products = await products_by_id(session, (line.product_id for line in order_lines.values()))
    lines = [{
        "no": order_lines[line.order_line_id].line_no,
        **product_columns(products[order_lines[line.order_line_id].product_id], language),
        "quantity": quantity_text(line.quantity), "lot": line.lot,
        "expiry": day_text(line.expiry), "sscc": line.sscc or "",
    } for line in notice.lines]
    return view_of(
        DocumentKind.ASN_LABEL, language,
        {"number": notice.number, "date": day_text(notice.created_at), "status": "",
         "reference": order.number},
        {"supplier": _supplier_party(await session.get_one(Supplier, notice.supplier_id)),
         "warehouse": warehouse_party(await session.get_one(Warehouse, order.warehouse_id))},
        lines,
        {"quantity": quantity_text(sum((line.quantity for line in notice.lines), start=ZERO)),
         "amount": "", "tax": "", "total": ""},
        {"carrier": notice.carrier, "tracking_number": notice.tracking_number,
         "expected_arrival": day_text(notice.expected_arrival),
         "ssccs": list(dict.fromkeys(line.sscc for line in notice.lines if line.sscc))},
    )


async def receipt_view(
    session: AsyncSession, principal: Principal, number: str, language: str
) -> View:
    """The receipt's lines at cost, each with its QC decisions (a line can be decided in parts)."""
    found = await receiving.receipt(session, principal, number)
    if found is None:
        raise NotFound(f"no receipt {number!r}", field="number")
    receipt = found.receipt
    products = await products_by_id(session, (line.product_id for line in receipt.lines))
    line_ids = [line.id for line in receipt.lines]
    inspections = list(await session.scalars(
        select(Inspection).where(Inspection.receipt_line_id.in_(line_ids)).order_by(Inspection.id)))
    inspectors = await display_names(session, (i.inspector_id for i in inspections))
    decided: dict[int, list[Inspection]] = {}
    for inspection in inspections:
        decided.setdefault(inspection.receipt_line_id, []).append(inspection)
    line_nos = {line.id: line.line_no for line in receipt.lines}
    lines: list[dict[str, Any]] = [{
        "no": line.line_no, **product_columns(products[line.product_id], language),
        "order_line_no": found.order_line_numbers[line.id],
        "quantity": quantity_text(line.quantity), "unit_price": money_text(line.unit_cost),
        "amount": money_text(line.quantity * line.unit_cost), "lot": line.lot,
        "expiry": day_text(line.expiry), "bucket": line.bucket,
        "qc": _qc_state(products[line.product_id], decided.get(line.id, [])),
        "accepted": quantity_text(sum((i.accepted_quantity for i in decided.get(line.id, [])),
                                      start=ZERO)),
        "rejected": quantity_text(sum((i.rejected_quantity for i in decided.get(line.id, [])),
                                      start=ZERO)),
    } for line in receipt.lines]
    amount = money_text(sum((line.quantity * line.unit_cost for line in receipt.lines), start=ZERO))
    return view_of(
        DocumentKind.RECEIPT, language,
        {"number": receipt.number, "date": day_text(receipt.received_at), "status": "",
         "reference": found.order_number},
        {"supplier": _supplier_party(await session.get_one(Supplier, receipt.supplier_id)),
         "warehouse": warehouse_party(await session.get_one(Warehouse, receipt.warehouse_id))},
        lines,
        {"quantity": quantity_text(sum((line.quantity for line in receipt.lines), start=ZERO)),
         "amount": amount, "tax": "", "total": amount},
        {"notice_number": found.notice_number or "",
         "received_by": await display_name_of(session, found.received_by),
         "received_at": time_text(receipt.received_at),
         "inspections": [{
             "line_no": line_nos[i.receipt_line_id], "result": i.result,
             "accepted": quantity_text(i.accepted_quantity),
             "rejected": quantity_text(i.rejected_quantity),
             "inspector": inspectors[i.inspector_id],
             "at": time_text(i.decided_at), "notes": i.notes,
         } for i in inspections]},
    )


def _qc_state(product: Product, decisions: list[Inspection]) -> str:
    """The decisions on a line (pass, fail, concession), else "pending" for a product that needs
    QC, else "not_required": a line received straight to stock reads as such, not as 0 accepted."""
    if decisions:
        return ", ".join(dict.fromkeys(decision.result for decision in decisions))
    return "pending" if product.qc_required else "not_required"
