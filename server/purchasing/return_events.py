"""The ``purchase_return`` events: purchasers, approvers, the warehouse and, once approved, the
supplier follow a return through them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.events import record_event
from server.purchasing.models import PurchaseReturn

TOPIC = "purchase_return"


async def return_event(
    session: AsyncSession, found: PurchaseReturn, kind: str, actor: Principal, **details: Any
) -> None:
    await record_event(
        session, topic=TOPIC, kind=kind, warehouse_id=found.warehouse_id,
        document_type="PR", document_number=found.number,
        payload={"number": found.number, "state": found.state, "version": found.version,
                 "supplierId": found.supplier_id, "totalAmount": str(found.total_amount),
                 "currency": found.currency,
                 # 1 once the supplier may follow the return (from its approval on).
                 "visibleToSupplier": int(found.approved_at is not None),
                 "actor": actor.username, **details},
    )
