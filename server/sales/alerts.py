"""What sales is told: ``sales_alert`` events for the salesperson (SHORTAGE, BACKORDER_READY,
LOW_STOCK, SHIPPED), ``sales_order`` events for everyone following an order, and the feed the
``salesAlerts`` subscription reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role, User
from server.catalog.models import Customer
from server.changes import mark_changed
from server.db import Database
from server.errors import NotFound
from server.event_hub import EventHub
from server.event_log import EventFilter, Position, StoredEvent
from server.event_stream import follow
from server.events import record_event
from server.inventory.valuation import round4
from server.sales.models import SalesOrder, SalesOrderLine

ALERT_TOPIC = "sales_alert"
ORDER_TOPIC = "sales_order"
DOCUMENT_TYPE = "SO"


class AlertKind(StrEnum):
    SHORTAGE = "SHORTAGE"  # a line backordered at order time or on a short pick
    BACKORDER_READY = "BACKORDER_READY"  # stock arrived and was reserved for a backorder
    LOW_STOCK = "LOW_STOCK"  # a reservation took available below the safety stock
    SHIPPED = "SHIPPED"


@dataclass(frozen=True, slots=True)
class Party:
    """Who an order's alerts are for, as the alert payload names them."""

    salesperson_id: int | None
    salesperson: str | None
    region: str
    customer_code: str


async def party_of(session: AsyncSession, order: SalesOrder) -> Party:
    customer_code = await session.scalar(select(Customer.code)
                                         .where(Customer.id == order.customer_id))
    username = None
    if order.salesperson_id is not None:
        username = await session.scalar(select(User.username)
                                        .where(User.id == order.salesperson_id))
    return Party(order.salesperson_id, username, order.region, customer_code or "")


async def sales_alert(
    session: AsyncSession, order: SalesOrder, party: Party, kind: AlertKind, *,
    line_no: int | None, sku: str, quantity: Decimal, message: str,
) -> None:
    await record_event(
        session, topic=ALERT_TOPIC, kind=kind.value, warehouse_id=order.warehouse_id,
        document_type=DOCUMENT_TYPE, document_number=order.number,
        payload={"kind": kind.value, "orderNumber": order.number, "lineNo": line_no,
                 "sku": sku, "quantity": str(round4(quantity)),
                 "salespersonId": party.salesperson_id, "salesperson": party.salesperson,
                 "region": party.region, "customerCode": party.customer_code,
                 "message": message},
    )


async def order_event(
    session: AsyncSession, order: SalesOrder, kind: str,
    product_ids: Iterable[int] | None = None,
) -> None:
    """SO_CREATED, SO_UPDATED, SO_CANCELLED, SO_PICKED, SO_SHIPPED; ``product_ids``, the
    products of the order's lines where the caller has them, saves looking them up."""
    # Every change of an order changes the demand (backorders, open orders) for its products.
    products = product_ids if product_ids is not None else await session.scalars(
        select(SalesOrderLine.product_id).where(SalesOrderLine.order_id == order.id))
    mark_changed(session, ((product_id, order.warehouse_id) for product_id in products))
    await record_event(
        session, topic=ORDER_TOPIC, kind=kind, warehouse_id=order.warehouse_id,
        document_type=DOCUMENT_TYPE, document_number=order.number,
        payload={"number": order.number, "state": order.state, "version": order.version},
    )


async def _user_id(db: Database, username: str) -> int:
    async with db.reader() as session:
        found = await session.scalar(select(User.id).where(User.username == username))
    if found is None:
        raise NotFound(f"no user {username!r}", field="salesperson")
    return found


async def sales_alerts(
    db: Database, hub: EventHub, principal: Principal, salesperson: str | None,
    region: str | None, after: str | None,
) -> AsyncIterator[StoredEvent]:
    """Alerts of one salesperson and/or region, replayed after ``after`` then live. A sales
    user who names neither follows their own alerts; other staff follow everyone's."""
    principal.require_internal()
    position = Position.from_cursor(after) if after is not None else None
    matching: tuple[tuple[str, int], ...] = ()
    if salesperson is not None:
        matching = (("salespersonId", await _user_id(db, salesperson)),)
    elif region is None and Role.SALES in principal.roles and Role.ADMIN not in principal.roles:
        matching = (("salespersonId", principal.user_id),)
    where = EventFilter(topic=ALERT_TOPIC, payload_ids=matching)
    return _in_region(follow(hub, db, where, position), region)


async def _in_region(
    stream: AsyncIterator[StoredEvent], region: str | None
) -> AsyncIterator[StoredEvent]:
    # Regions are text, which the outbox filter does not match on: filtered here instead.
    try:
        async for event in stream:
            if region is None or event.payload.get("region") == region:
                yield event
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
