"""Live feeds of purchasing and approval events for subscriptions: who may follow what."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy import select

from server.auth import Principal
from server.catalog.models import Supplier
from server.db import Database
from server.errors import InvalidInput, NotFound
from server.event_hub import EventHub
from server.event_log import EventFilter, Position, StoredEvent
from server.event_stream import follow
from server.purchasing.events import TOPIC

APPROVAL_TASK_KINDS = frozenset({"APPROVAL_TASK_CREATED", "APPROVAL_TASK_CLOSED"})


def _position(after: str | None) -> Position | None:
    return Position.from_cursor(after) if after is not None else None


def approval_tasks(
    db: Database, hub: EventHub, principal: Principal, after: str | None
) -> AsyncIterator[StoredEvent]:
    """Tasks given to or taken from the caller, as they happen."""
    principal.require_internal()
    where = EventFilter(topic="approval", kinds=APPROVAL_TASK_KINDS,
                        payload_ids=(("approverId", principal.user_id),))
    return follow(hub, db, where, _position(after))


async def order_events(
    db: Database, hub: EventHub, principal: Principal, numbers: Sequence[str] | None,
    supplier_code: str | None, after: str | None,
) -> AsyncIterator[StoredEvent]:
    """Events of the named orders or of one supplier's orders. A supplier user follows only its
    own orders, and only from the moment they are sent."""
    if not numbers and not supplier_code and not principal.is_supplier:
        raise InvalidInput("name the orders (numbers) or a supplierCode to follow",
                           field="numbers")
    supplier_id = principal.supplier_id
    if supplier_code is not None:
        async with db.reader() as session:
            found = await session.scalar(select(Supplier.id).where(Supplier.code == supplier_code))
        if found is None or (principal.is_supplier and found != principal.supplier_id):
            raise NotFound(f"no supplier {supplier_code!r}", field="supplierCode")
        supplier_id = found
    elif not principal.is_supplier:
        principal.require_internal()
    matching: tuple[tuple[str, int], ...] = ()
    if supplier_id is not None:
        matching += (("supplierId", supplier_id),)
    if principal.is_supplier:
        matching += (("sentToSupplier", 1),)
    where = EventFilter(topic=TOPIC, document_numbers=frozenset(numbers) if numbers else None,
                        payload_ids=matching)
    return follow(hub, db, where, _position(after))
