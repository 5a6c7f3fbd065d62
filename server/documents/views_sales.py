"""View models of the outbound documents: the pick list grouped by bin in walking order, and from
a shipment the delivery note (出库单), the shipping label and the customer invoice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.models import Customer, Warehouse
from server.documents.models import DocumentKind
from server.documents.views_common import (
    ZERO,
    View,
    day_text,
    display_name_of,
    money,
    money_text,
    product_columns,
    products_by_id,
    quantity_text,
    time_text,
    view_of,
    warehouse_party,
)
from server.errors import NotFound
from server.finance.receivables import VAT_RATE
from server.sales import pick_queries
from server.sales.models import SalesOrder
from server.sales.pick_queries import ShipmentView


async def _customers_by_order(
    session: AsyncSession, order_numbers: list[str]
) -> dict[str, Customer]:
    rows = await session.execute(
        select(SalesOrder.number, Customer).join(Customer, Customer.id == SalesOrder.customer_id)
        .where(SalesOrder.number.in_(order_numbers)))
    return {number: customer for number, customer in rows}


def _customer_party(customer: Customer) -> dict[str, str]:
    return {"code": customer.code, "name": customer.name, "region": customer.region,
            "address": ""}


async def pick_list_view(
    session: AsyncSession, principal: Principal, number: str, language: str
) -> View:
    """Lines sorted by bin code (bins are coded in walking order), then line number; ``groups``
    holds them bin by bin."""
    found = await pick_queries.pick_list(session, principal, number)
    if found is None:
        raise NotFound(f"no pick list {number!r}", field="number")
    pick_list = found.pick_list
    products = await products_by_id(session, (line.line.product_id for line in found.lines))
    customers = await _customers_by_order(session, found.order_numbers)
    walked = sorted(found.lines, key=lambda view: (view.bin_code, view.line.line_no))
    lines: list[dict[str, Any]] = [{
        "no": view.line.line_no, **product_columns(products[view.line.product_id], language),
        "quantity": quantity_text(view.line.quantity), "bin": view.bin_code, "lot": view.line.lot,
        "order_number": view.order_line.order_number,
        "customer": customers[view.order_line.order_number].name,
        "picked": quantity_text(view.line.picked_quantity),
        "short": quantity_text(view.line.short_quantity), "status": view.line.status,
    } for view in walked]
    groups: list[dict[str, Any]] = []
    for line in lines:
        if not groups or groups[-1]["bin"] != line["bin"]:
            groups.append({"bin": line["bin"], "lines": []})
        groups[-1]["lines"].append(line)
    return view_of(
        DocumentKind.PICK_LIST, language,
        {"number": pick_list.number, "date": day_text(pick_list.created_at),
         "status": pick_list.state, "reference": ", ".join(found.order_numbers)},
        {"warehouse": warehouse_party(await session.get_one(Warehouse, pick_list.warehouse_id))},
        lines,
        {"quantity": quantity_text(sum((v.line.quantity for v in found.lines), start=ZERO)),
         "amount": "", "tax": "", "total": ""},
        {"groups": groups, "order_numbers": found.order_numbers},
    )


async def _shipment(session: AsyncSession, principal: Principal, number: str) -> ShipmentView:
    found = await pick_queries.shipment(session, principal, number)
    if found is None:
        raise NotFound(f"no shipment {number!r}", field="number")
    return found


async def _shipment_view(
    session: AsyncSession, kind: DocumentKind, found: ShipmentView, language: str,
    totals: dict[str, str] | None = None, extra: dict[str, Any] | None = None,
) -> View:
    """What the three shipment documents share: the shipment's lines priced, the customer (of
    its first order: a pick list serves orders of one customer in practice) and the carrier."""
    shipment = found.shipment
    order_numbers = list(dict.fromkeys(line.order_line.order_number for line in found.lines))
    customers = await _customers_by_order(session, order_numbers)
    products = await products_by_id(session, (line.line.product_id for line in found.lines))
    lines: list[dict[str, Any]] = [{
        "no": index, **product_columns(products[view.line.product_id], language),
        "quantity": quantity_text(view.line.quantity), "lot": view.line.lot,
        "order_number": view.order_line.order_number, "order_line_no": view.order_line.line_no,
        "unit_price": money_text(view.line.unit_price),
        "amount": money_text(view.line.quantity * view.line.unit_price),
    } for index, view in enumerate(found.lines, start=1)]
    amount = money(sum((v.line.quantity * v.line.unit_price for v in found.lines), start=ZERO))
    return view_of(
        kind, language,
        {"number": shipment.number, "date": day_text(shipment.shipped_at), "status": "shipped",
         "reference": ", ".join(order_numbers)},
        {"customer": _customer_party(customers[order_numbers[0]]),
         "warehouse": warehouse_party(await session.get_one(Warehouse, shipment.warehouse_id))},
        lines,
        totals or {"quantity": quantity_text(sum((v.line.quantity for v in found.lines),
                                                 start=ZERO)),
                   "amount": str(amount), "tax": "", "total": str(amount)},
        {"carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
         "pick_list_number": found.pick_list_number,
         "shipped_by": await display_name_of(session, found.shipped_by),
         "shipped_at": time_text(shipment.shipped_at), "order_number": order_numbers[0],
         "order_numbers": order_numbers, **(extra or {})},
    )


async def delivery_note_view(
    session: AsyncSession, principal: Principal, number: str, language: str
) -> View:
    return await _shipment_view(session, DocumentKind.DELIVERY_NOTE,
                                await _shipment(session, principal, number), language)


async def shipping_label_view(
    session: AsyncSession, principal: Principal, number: str, language: str
) -> View:
    """The label's barcode is the sales order number (``extra.order_number``)."""
    return await _shipment_view(session, DocumentKind.SHIPPING_LABEL,
                                await _shipment(session, principal, number), language)


async def invoice_view(
    session: AsyncSession, principal: Principal, number: str, language: str
) -> View:
    """The invoice of a shipment, numbered as the shipment: net amount, VAT on top, total."""
    found = await _shipment(session, principal, number)
    amount = money(sum((v.line.quantity * v.line.unit_price for v in found.lines), start=ZERO))
    tax = money(amount * VAT_RATE)
    return await _shipment_view(
        session, DocumentKind.INVOICE, found, language,
        totals={"quantity": quantity_text(sum((v.line.quantity for v in found.lines),
                                              start=ZERO)),
                "amount": str(amount), "tax": str(tax), "total": str(amount + tax)},
        extra={"tax_rate": f"{quantity_text(VAT_RATE * 100)}%",
               "currency": await session.scalar(select(SalesOrder.currency).where(
                   SalesOrder.number == found.lines[0].order_line.order_number)) or "CNY"})
